// Loads a manifest outside Jest (plain Node + tsx's API), as the CLI does, and prints what it got as JSON.
import { loadConfig } from '../../../../harness/config/load-config';

const file = process.argv[2] ?? '';
loadConfig({ file }).then(
  ({ config }) => console.log(JSON.stringify({ ok: true, config })),
  (error: unknown) =>
    console.log(
      JSON.stringify({ ok: false, code: (error as { code?: string }).code, message: String(error) }),
    ),
);
