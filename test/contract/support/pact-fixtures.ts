import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temporary directory for pact files written by one test file, removed by `dispose`. */
export function tempPactDir(prefix: string): { readonly dir: string; dispose(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `troupe-${prefix}-`));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The seed of this run: `CONTRACT_SEED` to replay, otherwise fresh. Always printed by the caller. */
export function runSeed(): number {
  const fromEnv = process.env['CONTRACT_SEED'];
  return fromEnv !== undefined ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}

/** The repository root (tests run from it; resolved from this file so a different cwd still works). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
