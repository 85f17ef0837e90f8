import { existsSync } from 'node:fs';
import path from 'node:path';

/** The test runner `troupe init` writes a test for. */
export type TestRunner = 'jest' | 'vitest';

/** What `detectTestRunner` found, and why (printed by `troupe init`). */
export interface DetectedTestRunner {
  readonly runner: TestRunner;
  /** The runner loads TypeScript test files (Vitest always; Jest with a TypeScript transform). */
  readonly typescript: boolean;
  readonly reason: string;
}

/** The fields of a package.json the detection reads. */
export interface PackageManifest {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly scripts?: Readonly<Record<string, string>>;
  readonly jest?: unknown;
}

/** Jest transforms that compile TypeScript test files. */
const JEST_TYPESCRIPT_TRANSFORMS = ['ts-jest', '@swc/jest', 'esbuild-jest', '@babel/preset-typescript'];

/**
 * Which runner a project uses: a dependency on `vitest` or `jest`, a `vitest.config.*` / `vite.config.*` /
 * `jest.config.*` file, or a `jest` key in package.json. With both, the `test` script decides, else Vitest. With
 * neither, Vitest (it runs TypeScript tests with no further setup) and the reason says so.
 */
export function detectTestRunner(dir: string, manifest: PackageManifest): DetectedTestRunner {
  const deps = { ...manifest.dependencies, ...manifest.devDependencies };
  const files = existsSync(dir) ? configFiles(dir) : [];
  const vitest =
    'vitest' in deps ? 'vitest in package.json' : files.find((file) => /^(vitest|vite)\.config\./.test(file));
  const jest =
    'jest' in deps
      ? 'jest in package.json'
      : (files.find((file) => file.startsWith('jest.config.')) ??
        (manifest.jest !== undefined ? 'the "jest" key of package.json' : undefined));
  const testScript = manifest.scripts?.['test'] ?? '';
  const jestRunner = (reason: string): DetectedTestRunner => {
    const transform = JEST_TYPESCRIPT_TRANSFORMS.find((name) => name in deps);
    return {
      runner: 'jest',
      typescript: transform !== undefined,
      reason: `${reason}${transform ? ` (TypeScript through ${transform})` : ' (no TypeScript transform: the test is CommonJS)'}`,
    };
  };
  if (jest !== undefined && (vitest === undefined || /\bjest\b/.test(testScript))) return jestRunner(jest);
  if (vitest !== undefined) return { runner: 'vitest', typescript: true, reason: vitest };
  return {
    runner: 'vitest',
    typescript: true,
    reason: 'no Jest or Vitest found: install one (npm i -D vitest)',
  };
}

function configFiles(dir: string): string[] {
  return ['vitest', 'vite', 'jest']
    .flatMap((base) => ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs', 'json'].map((ext) => `${base}.config.${ext}`))
    .filter((file) => existsSync(path.join(dir, file)));
}
