import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/**
 * The package build: `dist/` in ESM (`.mjs`) and CommonJS (`.cjs`), declarations for both, source maps.
 *
 * Only entry points are listed; everything they import — new concept folders, the reference shop and its
 * scenario vocabulary the CLI loads lazily — is compiled by following imports. Shared code is split into chunks
 * that every entry of one format imports, so `troupe` and `troupe/jest` see the same classes and the same
 * registry of open taps. Dependencies stay external (`skipNodeModulesBundle`): they install beside the package.
 */
const entry = {
  index: 'harness/index.ts',
  jest: 'harness/jest.ts',
  vitest: 'harness/vitest.ts',
  fuzz: 'harness/fuzz/index.ts',
  contracts: 'harness/contracts/index.ts',
};

/** `import packageJson from '../../package.json'` (the CLI's `--version`): only name and version go into dist. */
const packageJsonPlugin: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'troupe-package-json',
  setup(build) {
    build.onLoad({ filter: /[\\/]package\.json$/ }, (args) => {
      const { name, version } = JSON.parse(readFileSync(args.path, 'utf8')) as Record<string, unknown>;
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

const shared: Options = {
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  // Explicit extensions: the package has no "type" field, and .mjs / .cjs mean the same to Node, TypeScript and
  // bundlers whatever the importing project's own "type" is. Declarations: .d.mts beside .mjs, and .d.ts beside
  // .cjs (CommonJS, like every .d.ts of a package without "type").
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
  sourcemap: true,
  splitting: true,
  shims: true, // __dirname / __filename in ESM, import.meta.url in CommonJS
  skipNodeModulesBundle: true,
  // uuid ships ESM only, which Jest's CommonJS runtime cannot require: inlined (a few hundred lines) instead.
  noExternal: ['uuid'],
  esbuildPlugins: [packageJsonPlugin],
  tsconfig: 'tsconfig.build.json',
};

export default defineConfig([
  { ...shared, entry: { ...entry, cli: 'harness/cli/main.ts' }, clean: true, dts: { entry } },
]);
