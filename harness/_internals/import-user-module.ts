import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Imports a file of the user's (a target, invariants, a catalog, `troupe.config.ts`), in TypeScript or JavaScript.
 * Running from source (tsx, or Jest's transform) TypeScript already loads, so a plain `import()` does. Built
 * (`dist/`, what `npx troupe` runs) the file goes through tsx's programmatic API, which compiles TypeScript on the
 * fly without registering a loader for the rest of the process, from the ESM and the CommonJS build alike.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  const absolute = path.resolve(file);
  if (runningFromSource()) return (await import(absolute)) as Record<string, unknown>;
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(pathToFileURL(absolute).href, __filename)) as Record<string, unknown>;
}

/** True when this very module is TypeScript, i.e. the process already loads `.ts` files. */
function runningFromSource(): boolean {
  return /\.ts$/.test(__filename);
}
