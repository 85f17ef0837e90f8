import {
  importOptional,
  OptionalDependencyError,
  resolveOptional,
} from '../../../harness/_internals/optional-dependency';

describe('importOptional', () => {
  it('loads an installed package', async () => {
    const yaml = await importOptional('yaml', 'parsing', () => import('yaml'));
    expect(typeof yaml.parse).toBe('function');
  });

  it('names the missing package and how to install it, with the loader error as cause', async () => {
    const missing = 'troupe-no-such-package-' + String(process.pid);
    const error = await importOptional(
      missing,
      'the widget check',
      (): Promise<unknown> => import(missing),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionalDependencyError);
    const optional = error as OptionalDependencyError;
    expect(optional.code).toBe('missing-optional-dependency');
    expect(optional.packageName).toBe(missing);
    expect(optional.message).toBe(
      `the widget check needs the optional package ${missing}, which is not installed: ` +
        `run \`npm install --save-dev ${missing}\``,
    );
    expect((optional.cause as { code?: unknown }).code).toBe('MODULE_NOT_FOUND');
  });

  it('rethrows other failures as they are (a dependency of the package missing is not the package missing)', async () => {
    const inner = Object.assign(new Error("Cannot find module 'left-pad'"), { code: 'MODULE_NOT_FOUND' });
    await expect(importOptional('some-package', 'x', () => Promise.reject(inner))).rejects.toBe(inner);
    const broken = new TypeError('boom while initialising');
    await expect(importOptional('some-package', 'x', () => Promise.reject(broken))).rejects.toBe(broken);
  });
});

describe('resolveOptional', () => {
  it('resolves a file of an installed package', () => {
    expect(resolveOptional('yaml', 'parsing', 'yaml/package.json')).toMatch(
      /node_modules[\\/]yaml[\\/]package\.json$/,
    );
  });

  it('throws OptionalDependencyError for a missing one', () => {
    expect(() => resolveOptional('troupe-absent', 'the CLI', 'troupe-absent/bin/cli.js')).toThrow(
      OptionalDependencyError,
    );
  });
});
