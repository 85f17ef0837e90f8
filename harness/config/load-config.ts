import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as TsxCjsApi from 'tsx/cjs/api';
import type * as TsxEsmApi from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { isEsmOnly, nativeImport, nativeLoad } from '../_internals/import-user-module';
import { ConfigError, formatConfigIssues, type ConfigIssue } from './config-error';
import { troupeConfigSchema, type ResolvedTroupeConfig } from './config-schema';

/** Manifest file names, in the order they are looked for. */
export const CONFIG_FILE_NAMES = [
  'troupe.config.ts',
  'troupe.config.mts',
  'troupe.config.cts',
  'troupe.config.mjs',
  'troupe.config.js',
  'troupe.config.cjs',
  'troupe.config.json',
  'troupe.config.yaml',
  'troupe.config.yml',
] as const;

/** A validated manifest and where it came from. */
export interface LoadedConfig {
  /** Absolute path of the manifest. */
  readonly file: string;
  /** Its folder: relative `cwd`s of services are resolved against it. */
  readonly dir: string;
  readonly config: ResolvedTroupeConfig;
}

/**
 * The manifest in `dir` (the first of `CONFIG_FILE_NAMES` that exists), or undefined when there is none. Use
 * `loadConfig` to read it.
 */
export function findConfigFile(dir: string): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.resolve(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * Loads and validates a manifest: `file` (an explicit `--config` path), else the one found in `dir` (default the
 * working directory). TypeScript manifests are loaded with tsx's programmatic API, so this works from the
 * compiled CLI too. Throws `ConfigError` (`config-not-found`, `config-unreadable`, `invalid-config` with one
 * issue per problem: path and expected shape) — callers start nothing then.
 */
export async function loadConfig(
  options: { readonly file?: string; readonly dir?: string } = {},
): Promise<LoadedConfig> {
  const dir = path.resolve(options.dir ?? process.cwd());
  const file = options.file !== undefined ? path.resolve(dir, options.file) : findConfigFile(dir);
  if (file === undefined) {
    throw new ConfigError('config-not-found', `no troupe.config.{ts,mts,mjs,js,cjs,json,yaml,yml} in ${dir}`);
  }
  if (!existsSync(file)) throw new ConfigError('config-not-found', `${file}: no such file`, { file });
  const raw = await readManifest(file);
  return { file, dir: path.dirname(file), config: validateConfig(raw, file) };
}

/** Validates a manifest value (already read from `file`); throws `ConfigError('invalid-config')`. */
export function validateConfig(raw: unknown, file: string): ResolvedTroupeConfig {
  const result = troupeConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => toConfigIssues(issue, [], raw));
  throw new ConfigError('invalid-config', formatConfigIssues(file, issues), {
    file,
    issues,
    cause: result.error,
  });
}

async function readManifest(file: string): Promise<unknown> {
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === '.json') return withoutSchemaPointer(JSON.parse(await readFile(file, 'utf8')) as unknown);
    if (ext === '.yaml' || ext === '.yml') {
      return withoutSchemaPointer(parseYaml(await readFile(file, 'utf8')) as unknown);
    }
    return defaultExport(await importModule(file));
  } catch (error) {
    throw new ConfigError(
      'config-unreadable',
      `${file}: cannot load the manifest: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      { file, cause: error },
    );
  }
}

/** A JSON or YAML manifest's `$schema` (its editor's pointer to `schema/troupe.config.schema.json`) is not config. */
function withoutSchemaPointer(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('$schema' in raw)) return raw;
  const { $schema: _pointer, ...config } = raw as Record<string, unknown>;
  return config;
}

/**
 * Imports a JS/TS module through tsx's API, not through whatever runs us (plain node from dist/, tsx, Jest's
 * CommonJS runtime): tsx's CommonJS `require` loads the manifest, and tsx's ESM import takes modules that need
 * it (top-level await). Inside a test runner whose module registry cannot host tsx (Jest), the runner's own
 * loader (which compiles TypeScript) imports it.
 */
async function importModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  const nodeRequire = createRequire(loaderBase());
  let tsxRequire: typeof TsxCjsApi.require;
  try {
    tsxRequire = (nativeLoad('tsx/cjs/api', loaderBase()) as typeof TsxCjsApi).require;
  } catch {
    // A test runner with its own module registry (Jest) cannot host tsx's hooks, but compiles TS itself.
    return (await import(file)) as unknown;
  }
  try {
    return tsxRequire(file, url) as unknown;
  } catch (error) {
    if (!isEsmOnly(error)) throw error;
  }
  // tsx's ESM API must be imported as ESM (its CommonJS build cannot find its own loader).
  const esmApi = pathToFileURL(nodeRequire.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const { tsImport } = (await nativeImport(esmApi)) as typeof TsxEsmApi;
  return (await tsImport(url, url)) as unknown;
}

/** Where tsx is resolved from: this module (CommonJS, or an ESM build with shims), else the working directory. */
function loaderBase(): string {
  return typeof __filename === 'string' ? __filename : path.join(process.cwd(), 'troupe.config.loader.js');
}

/** `export default`, else `module.exports`, else a named `config` export. */
function defaultExport(module: unknown): unknown {
  if (typeof module !== 'object' || module === null) return module;
  const record = module as Record<string, unknown>;
  let value: unknown = 'default' in record ? record['default'] : (record['config'] ?? module);
  // tsImport of a CommonJS module nests it once more ({ default: { default: … } }).
  if (typeof value === 'object' && value !== null && 'default' in value && !('broker' in value)) {
    value = (value as Record<string, unknown>)['default'];
  }
  return value;
}

/** One zod issue as manifest issues; a failed union is explained by its closest branch. */
function toConfigIssues(
  issue: z.core.$ZodIssue,
  prefix: readonly PropertyKey[],
  raw: unknown,
): ConfigIssue[] {
  const at = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // The branch that got furthest (fewest issues, deepest path) is what the user meant.
    const ranked = issue.errors
      .map((branch) => branch.map((inner) => toConfigIssues(inner, at, raw)).flat())
      .sort((a, b) => score(a) - score(b));
    const best = ranked[0] ?? [];
    const shallow = best.every((inner) => inner.path === formatPath(at));
    if (!shallow) return best;
    return [{ path: formatPath(at), message: 'not one of the accepted shapes', expected: unionShapes(at) }];
  }
  return [{ path: formatPath(at), ...describeIssue(issue, valueAt(raw, at)) }];
}

function score(issues: readonly ConfigIssue[]): number {
  const depth = Math.max(0, ...issues.map((issue) => issue.path.split(/[.[]/).length));
  return issues.length * 10 - depth;
}

/** The value at `at` in the manifest as written (zod does not keep inputs in issues). */
function valueAt(raw: unknown, at: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const part of at) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): { message: string; expected?: string } {
  switch (issue.code) {
    case 'unrecognized_keys':
      return { message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` };
    case 'invalid_type':
      return input === undefined
        ? { message: 'missing', expected: issue.expected }
        : { message: `got ${typeName(input)}`, expected: issue.expected };
    case 'invalid_value':
      return {
        message: `got ${JSON.stringify(input)}`,
        expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'invalid_format':
      return { message: `got ${JSON.stringify(input)}`, expected: issue.message };
    default:
      return { message: issue.message };
  }
}

/** The accepted shapes of the unions in the schema, in words, by where they sit. */
function unionShapes(at: readonly PropertyKey[]): string {
  const last = at.filter((part) => typeof part === 'string');
  const tail = last[last.length - 1];
  const parent = last[last.length - 2];
  if (tail === 'ready') return '{ queue } | { log } | { tcp } | { http }, each with an optional timeout';
  if (tail === 'start')
    return '{ publish: { exchange, routingKey, body } } | { http: { url } } | { run: { command } }';
  if (tail === 'adapter') {
    return "'troupe' | 'cloudevents' | 'amqp-properties' | { json: { type, id?, correlation?, causation?, key? } } | a function";
  }
  if (parent === 'services')
    return '{ command, args?, cwd?, env?, brokerUrlEnv?, ready?, stop? } | { external: true }';
  if (tail === 'timeout' || tail === 'grace') return 'a duration: milliseconds, or "500ms", "10s", "2m"';
  return 'see docs/own-services.md';
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** `services.payments.ready.timeout`, `broker.exchanges[0].type`. */
function formatPath(parts: readonly PropertyKey[]): string {
  let text = '';
  for (const part of parts) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}
