import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';

/*
 * Troupe as a user gets it (issue 11): the package is built, packed and installed from the tarball into a scratch
 * project outside the repository, and used there the way its README says — an ESM import, a CommonJS require, a
 * TypeScript type check against the shipped declarations, `npx troupe --help`, `npx troupe init`, the test init
 * generates (Jest, then Vitest) against a small service on the real RabbitMQ, and `npx troupe run` (the reference
 * shop, compiled into the package). Runtime dependencies come from the npm registry (the local cache first).
 *
 * Jest and Vitest are not installed into the scratch project from the registry (they are big): the repository's
 * own binaries run there, and Vitest, @types/node and TypeScript's check see the repository's copies through
 * symlinks in the scratch node_modules — placed after the installed size was measured.
 */

const repo = path.resolve(__dirname, '../..');
const bin = path.join(repo, 'node_modules', '.bin');
const namespace = `troupe-pkgtest-${randomBytes(4).toString('hex')}`;
const exchange = `${namespace}.events`;
const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * The environment of every child: Node 20 from this process first on PATH, then the repo's tool binaries; none of
 * the npm_* variables of an enclosing `npm test` (npm_config_prefix and friends would point npm at the repo).
 */
const childEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(npm_|JEST_)/i.test(name) && !['NODE_OPTIONS', 'FORCE_COLOR', 'INIT_CWD'].includes(name),
    ),
  ),
  PATH: [path.dirname(process.execPath), process.env['PATH'], bin].join(path.delimiter),
  PACT_DO_NOT_TRACK: 'true',
  SCARF_ANALYTICS: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  NO_COLOR: '1',
};

interface Ran {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a command to its end (bounded); the combined output is in the error when it fails. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function succeed(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs?: number,
): Promise<string> {
  const { code, output } = await run(command, args, cwd, timeoutMs);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${code}:\n${output}`);
  return output;
}

/** Bytes and package count of a node_modules tree (symlinks not followed). */
async function treeSize(dir: string): Promise<{ bytes: number; packages: number }> {
  let bytes = 0;
  let packages = 0;
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (
          existsSync(path.join(full, 'package.json')) &&
          path.basename(path.dirname(full)).match(/^(node_modules|@)/)
        ) {
          packages++;
        }
        await walk(full);
      } else if (entry.isFile()) {
        bytes += (await lstat(full)).size;
      }
    }
  };
  await walk(dir);
  return { bytes, packages };
}

const mb = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;

describe('the packed package, installed into a scratch project outside the repository (Node 20, real RabbitMQ)', () => {
  const started = Date.now();
  let scratch: string;
  let tarball: string;
  let service: ChildProcess | undefined;
  const measured: string[] = [];

  beforeAll(async () => {
    expect(process.versions.node.split('.')[0]).toBe('20');
    scratch = await mkdtemp(path.join(tmpdir(), 'troupe-scratch-'));
    expect(path.relative(repo, scratch).startsWith('..')).toBe(true);

    await succeed('npm', ['run', 'build'], repo, 300_000);
    const packed = JSON.parse(
      await succeed('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], repo),
    ) as [
      { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] },
    ];
    const [pack] = packed;
    tarball = path.join(scratch, pack.filename);
    const files = pack.files.map((file) => file.path);
    // What ships: the build, the bin, the shop's specs; never the sources' tests or fixtures.
    expect(files).toEqual(
      expect.arrayContaining(['dist/index.mjs', 'dist/index.cjs', 'dist/cli.cjs', 'bin/troupe.cjs']),
    );
    expect(
      files.filter((file) => /^(test|harness|bench|examples|pacts)\//.test(file) || /fixture/.test(file)),
    ).toEqual([]);
    measured.push(`packed ${mb(pack.size)} (${pack.entryCount} files, ${mb(pack.unpackedSize)} unpacked)`);
    // Release hygiene on what was packed: package.json fields (publint) and every entry's types under Node 16+
    // resolution, ESM and CommonJS (arethetypeswrong; no registry look-ups).
    await succeed('node', [path.join(bin, 'publint'), 'run', '--strict', '--pack', 'npm'], repo);
    await succeed(
      'node',
      [path.join(bin, 'attw'), tarball, '--profile', 'node16', '--no-definitely-typed'],
      repo,
    );

    await writeFile(
      path.join(scratch, 'package.json'),
      JSON.stringify({ name: 'scratch-shop', version: '1.0.0', private: true }, null, 2) + '\n',
    );
    const installStarted = Date.now();
    await succeed('npm', ['install', '--prefer-offline', '--save-dev', tarball], scratch, 300_000);
    const installed = await treeSize(path.join(scratch, 'node_modules'));
    measured.push(
      `installed ${mb(installed.bytes)} in node_modules (${installed.packages} packages, ` +
        `${((Date.now() - installStarted) / 1000).toFixed(0)} s to install)`,
    );
    for (const name of ['vitest', '@types/node']) {
      await mkdir(path.dirname(path.join(scratch, 'node_modules', name)), { recursive: true });
      await symlink(path.join(repo, 'node_modules', name), path.join(scratch, 'node_modules', name), 'dir');
    }
  }, 600_000);

  afterAll(async () => {
    service?.kill('SIGTERM');
    const rabbit = new Connection({ url: amqpUrl, connectionName: `troupe.pkgtest.cleanup.${process.pid}` });
    try {
      await rabbit.exchangeDelete({ exchange });
    } finally {
      await rabbit.close();
    }
    if (scratch) await rm(scratch, { recursive: true, force: true });
    measured.push(`whole scratch-project test ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(`troupe package: ${measured.join('; ')}`);
  });

  it('installs none of the optional heavy packages, and ships the CLI compiled (no harness/ sources)', () => {
    for (const name of [
      '@pact-foundation/pact',
      'testcontainers',
      '@electric-sql/pglite',
      '@asyncapi/parser',
    ]) {
      expect(existsSync(path.join(scratch, 'node_modules', name))).toBe(false);
    }
    expect(existsSync(path.join(scratch, 'node_modules/troupe/harness'))).toBe(false);
    expect(existsSync(path.join(scratch, 'node_modules/troupe/dist/cli.cjs'))).toBe(true);
  });

  it('ships the manifest JSON Schema where an editor finds it, and resolvable through the exports map', async () => {
    const resolved = await succeed(
      'node',
      [
        '-e',
        "const s = require(require.resolve('troupe/schema/troupe.config.schema.json')); console.log(s.title)",
      ],
      scratch,
    );
    expect(resolved.trim()).toBe('Troupe manifest');
    expect(existsSync(path.join(scratch, 'node_modules/troupe/schema/troupe.config.schema.json'))).toBe(true);
  });

  it('loads as ESM (every entry point) and as CommonJS, one registry of classes per format', async () => {
    const esm = await succeed(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { startTap, flow, flowMatchers, defineConfig, AmqpTransport } from 'troupe';
         import { fuzzHandler } from 'troupe/fuzz';
         import { zodToPact, verifyMessageProvider } from 'troupe/contracts';
         console.log([startTap, flow, defineConfig, AmqpTransport, fuzzHandler, zodToPact, verifyMessageProvider].map((f) => typeof f).join(','), typeof flowMatchers.toEventuallyEmit);`,
      ],
      scratch,
    );
    expect(esm.trim()).toBe('function,function,function,function,function,function,function function');
    const cjs = await succeed(
      'node',
      [
        '-e',
        `const troupe = require('troupe'); const { fuzzHandler } = require('troupe/fuzz');
         const contracts = require('troupe/contracts');
         console.log(typeof troupe.startTap, typeof troupe.newEventId(), typeof fuzzHandler, contracts.ContractError === troupe.ContractError);`,
      ],
      scratch,
    );
    expect(cjs.trim()).toBe('function string function true');
  });

  it('names the optional package to install when a heavy part is used without it', async () => {
    const output = await succeed(
      'node',
      [
        '-e',
        `require('troupe/contracts')
           .verifyMessageProvider({ provider: 'p', source: { kind: 'files', pactUrls: [] }, messageProviders: {} })
           .then(() => console.log('verified?'), (error) => console.log(error.code, '|', error.message));`,
      ],
      scratch,
    );
    expect(output).toContain('missing-optional-dependency |');
    expect(output).toContain('npm install --save-dev @pact-foundation/pact');
  });

  it('prints `npx troupe --help` from the compiled CLI', async () => {
    const help = await succeed('npx', ['--no', '--', 'troupe', '--help'], scratch);
    expect(help).toContain('Usage: troupe');
    expect(help).toMatch(/\binit\b/);
    expect(help).toMatch(/\brun\b/);
  });

  it('`npx troupe run` in a project without a manifest runs the reference shop from the installed package', async () => {
    const output = await succeed(
      'npx',
      ['--no', '--', 'troupe', 'run', '--fuzz-runs', '50'],
      scratch,
      300_000,
    );
    expect(output).toMatch(/✓ \d+\/\d+ scenarios passed/);
    expect(output).toContain('fuzz smoke passed');
  }, 320_000);

  it('`npx troupe init` sets up Jest; the generated test and scenario pass against a small service on RabbitMQ', async () => {
    // The project says it uses Jest (detection reads package.json); the repo's Jest binary runs it.
    const manifest = JSON.parse(await readFile(path.join(scratch, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    manifest['devDependencies'] = { ...manifest['devDependencies'], jest: '^30.0.0' };
    await writeFile(path.join(scratch, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    const init = await succeed('npx', ['--no', '--', 'troupe', 'init', '--exchange', exchange], scratch);
    expect(init).toContain('test runner jest');
    for (const file of ['troupe.config.ts', 'scenarios/example.scenario.yaml', 'test/troupe.test.cjs']) {
      expect(existsSync(path.join(scratch, file))).toBe(true);
    }
    // A second init keeps every file.
    const again = await succeed('npx', ['--no', '--', 'troupe', 'init', '--exchange', exchange], scratch);
    expect(again).toContain('kept  troupe.config.ts');

    await copyFile(path.join(__dirname, 'example-service.cjs'), path.join(scratch, 'example-service.cjs'));
    service = await startService(scratch);
    const jest = await succeed('npm', ['run', 'test:troupe', '--', '--ci'], scratch);
    expect(jest).toMatch(/Tests:\s+1 passed, 1 total/);
    // The compiled CLI loads the TypeScript manifest and runs the generated scenario against the same service.
    const scenarios = await succeed('npx', ['--no', '--', 'troupe', 'scenarios', 'scenarios'], scratch);
    expect(scenarios).toContain('1/1 scenario(s) passed');
  }, 180_000);

  it('the generated test fails when the service is not running (it proves something)', async () => {
    service?.kill('SIGTERM');
    service = undefined;
    const jest = await run('npm', ['run', 'test:troupe', '--', '--ci'], scratch, 120_000);
    expect(jest.code).not.toBe(0);
    expect(jest.output).toContain('ExampleCompleted');
  }, 180_000);

  it('with Vitest instead: init --force rewrites the test for Vitest, which passes; types check (bundler and nodenext)', async () => {
    const manifest = JSON.parse(await readFile(path.join(scratch, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    const devDependencies: Record<string, string> = { ...manifest['devDependencies'], vitest: '^4.0.0' };
    delete devDependencies['jest'];
    manifest['devDependencies'] = devDependencies;
    await writeFile(path.join(scratch, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    const init = await succeed(
      'npx',
      ['--no', '--', 'troupe', 'init', '--force', '--exchange', exchange],
      scratch,
    );
    expect(init).toContain('test runner vitest');

    // The type check: the generated manifest and Vitest test as a Vite project sees them, and the declarations
    // from both sides of the exports map under nodenext.
    await writeFile(
      path.join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'preserve',
          moduleResolution: 'bundler',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['troupe.config.ts', 'test/*.ts'],
      }),
    );
    await writeFile(
      path.join(scratch, 'check.mts'),
      `import { flow, startTap, type StartedTap, type EnvelopeAdapter } from 'troupe';
import { fuzzHandler } from 'troupe/fuzz';
const adapter: EnvelopeAdapter = { read: () => undefined };
export const used: [typeof flow, typeof startTap, typeof fuzzHandler, EnvelopeAdapter, StartedTap | undefined] = [flow, startTap, fuzzHandler, adapter, undefined];
`,
    );
    await writeFile(
      path.join(scratch, 'check.cts'),
      `import troupe = require('troupe');
export const log: InstanceType<typeof troupe.EventLog> = new troupe.EventLog({ adapter: troupe.troupeEnvelopeAdapter() });
`,
    );
    await writeFile(
      path.join(scratch, 'tsconfig.nodenext.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['check.mts', 'check.cts'],
      }),
    );
    const tsc = path.join(repo, 'node_modules/typescript7/bin/tsc'); // the native compiler: seconds, not a minute
    await succeed('node', [tsc, '-p', 'tsconfig.json'], scratch);
    await succeed('node', [tsc, '-p', 'tsconfig.nodenext.json'], scratch);

    service = await startService(scratch);
    const vitest = await succeed('npm', ['run', 'test:troupe'], scratch);
    expect(vitest).toMatch(/Tests\s+1 passed \(1\)/);
  }, 240_000);
});

/** Starts the example service in the scratch project; resolves when its consumer is ready on the broker. */
function startService(cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['example-service.cjs'], {
      cwd,
      env: { ...childEnv, EXAMPLE_EXCHANGE: exchange, AMQP_URL: amqpUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`example-service was not ready within 15 s:\n${output}`));
    }, 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('example-service ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`example-service exited (${code}) before it was ready:\n${output}`));
    });
  });
}
