import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ConfigError } from '../../../harness/config/config-error';
import { findConfigFile, loadConfig, validateConfig } from '../../../harness/config/load-config';

const fixtures = path.join(__dirname, 'fixtures');

async function configError(file: string): Promise<ConfigError> {
  const error: unknown = await loadConfig({ file, dir: fixtures }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe('loadConfig', () => {
  it("loads a TypeScript manifest (in Jest through Jest's loader), defaults applied, functions kept", async () => {
    const { config, file } = await loadConfig({ file: 'valid.config.ts', dir: fixtures });
    expect(file).toBe(path.join(fixtures, 'valid.config.ts'));
    expect(config.name).toBe('saga');
    expect(config.broker.exchanges).toEqual([{ name: 'ecommerce', type: 'fanout' }]);
    expect(config.services['legacy']).toEqual({ external: true });
    const invariants = config.flows['order']?.invariants ?? [];
    expect(invariants.map((inv) => inv.name)).toEqual(['at most one PaymentProcessed per data.orderId']);
    const start = config.flows['order']?.start;
    expect(start && 'publish' in start ? start.publish.routingKey : undefined).toBe(''); // default applied
  });

  it('outside Jest, compiled to plain JS (as dist/ runs): loads .ts, and .mts with top-level await', async () => {
    // Bundle the loader the way a build would (CommonJS and ESM), then run it with plain node: no tsx CLI, no Jest.
    const { build } = await import('esbuild');
    // Inside the repo, so the bundle resolves zod, yaml and tsx from node_modules like an installed package.
    const cache = path.resolve(__dirname, '../../../node_modules/.cache');
    mkdirSync(cache, { recursive: true });
    const out = mkdtempSync(path.join(cache, 'troupe-loader-'));
    try {
      for (const format of ['cjs', 'esm'] as const) {
        const bundle = path.join(out, `load-in-node.${format === 'cjs' ? 'cjs' : 'mjs'}`);
        await build({
          entryPoints: [path.join(__dirname, 'support', 'load-in-node.ts')],
          bundle: true,
          platform: 'node',
          format,
          outfile: bundle,
          packages: 'external',
          logLevel: 'silent',
        });
        const cases = [
          ['valid.config.ts', 'ecommerce'],
          ['tla.config.mts', 'events'],
        ] as const;
        // CommonJS is the hard case for .mts (tsx's ESM API through a native import); ESM needs one check.
        for (const [file, exchange] of format === 'cjs' ? cases : cases.slice(0, 1)) {
          const output = execFileSync(process.execPath, [bundle, path.join(fixtures, file)], {
            encoding: 'utf8',
            cwd: path.resolve(__dirname, '../../..'),
          });
          const result = JSON.parse(output) as {
            ok: boolean;
            message?: string;
            config?: { broker: { exchanges: { name: string }[] } };
          };
          expect({ format, file, ok: result.ok, message: result.message }).toEqual({
            format,
            file,
            ok: true,
            message: undefined,
          });
          expect(result.config?.broker.exchanges[0]?.name).toBe(exchange);
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('loads YAML', async () => {
    const { config } = await loadConfig({ file: 'valid.config.yaml', dir: fixtures });
    expect(config.adapter).toBe('cloudevents');
    expect(config.services['payments']).toMatchObject({ ready: { queue: 'payments', timeout: '10s' } });
  });

  it('names file, path and expected shape for a bad duration', async () => {
    const error = await configError('bad-timeout.config.json');
    expect(error.code).toBe('invalid-config');
    expect(error.issues).toEqual([expect.objectContaining({ path: 'services.payments.ready.timeout' })]);
    expect(error.message).toContain(path.join(fixtures, 'bad-timeout.config.json'));
    expect(error.message).toMatch(/services\.payments\.ready\.timeout: .*"ten seconds".*expected .*duration/);
  });

  it('reports every problem: a bad enum value and an unknown field', async () => {
    const error = await configError('bad-type.config.yaml');
    const paths = error.issues.map((issue) => issue.path);
    expect(paths).toContain('broker.exchanges[0].type');
    expect(error.message).toMatch(
      /broker\.exchanges\[0\]\.type: got "fanot" \(expected one of "topic", "fanout", "direct", "headers"\)/,
    );
    expect(paths.some((p) => p.startsWith('services.payments'))).toBe(true);
    expect(error.message).toMatch(/services\.payments/);
  });

  it('a syntax error is config-unreadable, naming the file', async () => {
    // Written at test time: a committed file with a syntax error would break the linters.
    const dir = mkdtempSync(path.join(tmpdir(), 'troupe-config-'));
    try {
      writeFileSync(path.join(dir, 'troupe.config.js'), 'module.exports = { broker: { exchanges: [ } ;\n');
      const error: unknown = await loadConfig({ dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('config-unreadable');
      expect((error as ConfigError).message).toContain(path.join(dir, 'troupe.config.js'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cross-field: a flow publishing to an exchange the broker section does not list', () => {
    const error = (() => {
      try {
        validateConfig(
          {
            broker: { exchanges: [{ name: 'shop', type: 'topic' }] },
            flows: {
              order: { start: { publish: { exchange: 'shp', body: {} } }, key: 'id', terminal: ['Done'] },
            },
          },
          'troupe.config.json',
        );
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    expect(error?.issues).toEqual([
      expect.objectContaining({
        path: 'flows.order.start.publish.exchange',
        message: expect.stringMatching(/unknown exchange "shp"/) as unknown,
      }),
    ]);
  });

  it('a missing --config file is config-not-found', async () => {
    expect((await configError('nope.config.ts')).code).toBe('config-not-found');
  });

  it('finds troupe.config.* in a folder, .ts before .json; none → undefined', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'troupe-config-'));
    try {
      expect(findConfigFile(dir)).toBeUndefined();
      writeFileSync(path.join(dir, 'troupe.config.json'), '{}');
      expect(findConfigFile(dir)).toBe(path.join(dir, 'troupe.config.json'));
      writeFileSync(path.join(dir, 'troupe.config.ts'), 'export default {}');
      expect(findConfigFile(dir)).toBe(path.join(dir, 'troupe.config.ts'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
