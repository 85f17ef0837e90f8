import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TsxCjsApi from 'tsx/cjs/api';
import type * as TsxEsmApi from 'tsx/esm/api';

/**
 * Imports a file of the user's (a target, invariants, a catalog), in TypeScript or JavaScript. Running from source
 * (tsx, or Jest's transform) TypeScript already loads, so a plain `import()` does. Built (`dist/`, what
 * `npx troupe` runs) the file goes through tsx's programmatic API, which compiles TypeScript on the fly without
 * registering a loader for the rest of the process: its CommonJS `require` first, its ESM `tsImport` for modules
 * that must be ESM (`.mts`, `"type": "module"`, top-level await).
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  const absolute = path.resolve(file);
  if (runningFromSource()) return (await import(absolute)) as Record<string, unknown>;
  const from = __filename;
  const { require: tsxRequire } = nativeLoad('tsx/cjs/api', from) as typeof TsxCjsApi;
  try {
    return tsxRequire(absolute, from) as Record<string, unknown>;
  } catch (error) {
    if (!isEsmOnly(error)) throw error;
  }
  // tsx's ESM API must be imported as ESM: its CommonJS build cannot find its own loader.
  const esmApi = pathToFileURL(
    createRequire(from)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const { tsImport } = (await nativeImport(esmApi)) as typeof TsxEsmApi;
  return (await tsImport(pathToFileURL(absolute).href, pathToFileURL(from).href)) as Record<string, unknown>;
}

/**
 * Loads `id` with Node's own CommonJS loader, as required from `from`. Jest replaces `require` and `createRequire`
 * with its module registry, through which tsx's hooks cannot load a file (and a user's Jest has no TypeScript
 * transform to fall back on), but it leaves the loader's `_load` in place: tsx, and what it loads, then run in
 * Node's registry.
 */
export function nativeLoad(id: string, from: string): unknown {
  const loader = Module as unknown as {
    _load?: (request: string, parent: Module, isMain: boolean) => unknown;
    _nodeModulePaths?: (dir: string) => string[];
  };
  if (typeof loader._load !== 'function' || typeof loader._nodeModulePaths !== 'function') {
    return createRequire(from)(id);
  }
  const parent = new Module(from);
  parent.filename = from;
  parent.paths = loader._nodeModulePaths(path.dirname(from));
  return loader._load(id, parent, false);
}

/** A real dynamic `import()` that no bundler turns into `require` (this file is also compiled to CommonJS). */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point: keep import() native
export const nativeImport = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

/** True when `require` refused a module that must be loaded as ESM (top-level await, `.mts`, `"type": "module"`). */
export function isEsmOnly(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_REQUIRE_ASYNC_MODULE' || code === 'ERR_REQUIRE_ESM';
}

/** True when this very module is TypeScript, i.e. the process already loads `.ts` files. */
function runningFromSource(): boolean {
  return /\.ts$/.test(__filename);
}
