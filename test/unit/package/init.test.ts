import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initProject } from '../../../harness/cli/commands/init';
import { parseScenario } from '../../../harness/scenario/load-scenario';
import { CliExit } from '../../../harness/cli/cli-exit';

describe('troupe init', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'troupe-init-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const writePackage = (manifest: Record<string, unknown>, indent = 2): Promise<void> =>
    writeFile(path.join(dir, 'package.json'), JSON.stringify(manifest, null, indent) + '\n');
  const readPackage = async (): Promise<{ scripts: Record<string, string> }> =>
    JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

  it('writes a manifest, a scenario, a Jest test (CommonJS without a TS transform) and npm scripts', async () => {
    await writePackage({
      name: '@acme/shop',
      devDependencies: { jest: '^30.0.0' },
      scripts: { test: 'jest' },
    });
    const result = await initProject({ dir });
    expect(result.runner).toBe('jest');
    expect(result.files).toEqual([
      { path: 'troupe.config.ts', action: 'written' },
      { path: 'scenarios/example.scenario.yaml', action: 'written' },
      { path: 'test/troupe.test.cjs', action: 'written' },
    ]);
    const config = await readFile(path.join(dir, 'troupe.config.ts'), 'utf8');
    expect(config).toContain("import { defineConfig } from 'troupe';");
    expect(config).toContain("exchanges: [{ name: 'acme.shop.events', type: 'topic' }]");
    const test = await readFile(path.join(dir, 'test/troupe.test.cjs'), 'utf8');
    expect(test).toContain("require('troupe/jest');");
    expect(test).toContain('toEventuallyFollowChain');
    const { scripts } = await readPackage();
    expect(scripts).toEqual({
      test: 'jest',
      'test:troupe': 'jest test/troupe.test.cjs',
      'troupe:scenarios': 'troupe scenarios scenarios',
      'troupe:run': 'troupe run',
    });
  });

  it('writes a TypeScript test for Jest with a TypeScript transform, and for Vitest', async () => {
    await writePackage({ name: 'a', devDependencies: { jest: '30', 'ts-jest': '29' } });
    expect((await initProject({ dir })).files[2]).toEqual({ path: 'test/troupe.test.ts', action: 'written' });
    expect(await readFile(path.join(dir, 'test/troupe.test.ts'), 'utf8')).toContain("import 'troupe/jest';");

    await rm(path.join(dir, 'test'), { recursive: true });
    await writePackage({ name: 'a', devDependencies: { vitest: '4' } });
    const result = await initProject({ dir });
    expect(result.runner).toBe('vitest');
    const test = await readFile(path.join(dir, 'test/troupe.test.ts'), 'utf8');
    expect(test).toContain("import 'troupe/vitest';");
    expect(test).toContain("import { beforeAll, expect, test } from 'vitest';");
    expect((await readPackage()).scripts['test:troupe']).toBe('vitest run test/troupe.test.ts');
  });

  it('detects Vitest from its config file, and prefers what the test script runs when both are present', async () => {
    await writePackage({ name: 'a' });
    await writeFile(path.join(dir, 'vitest.config.ts'), 'export default {};\n');
    expect((await initProject({ dir })).runner).toBe('vitest');
    await rm(path.join(dir, 'test'), { recursive: true });
    await writePackage({
      name: 'a',
      devDependencies: { jest: '30', vitest: '4' },
      scripts: { test: 'jest --ci' },
    });
    expect((await initProject({ dir, force: true })).runner).toBe('jest');
  });

  it('never overwrites a file or a script without --force, and does with it', async () => {
    await writePackage(
      { name: 'a', devDependencies: { vitest: '4' }, scripts: { 'troupe:run': 'my own' } },
      4,
    );
    await writeFile(path.join(dir, 'troupe.config.ts'), '// mine\n');
    const kept = await initProject({ dir });
    expect(kept.files[0]).toEqual({ path: 'troupe.config.ts', action: 'kept' });
    expect(await readFile(path.join(dir, 'troupe.config.ts'), 'utf8')).toBe('// mine\n');
    expect(kept.scripts).toContainEqual({ name: 'troupe:run', action: 'kept' });
    const manifestText = await readFile(path.join(dir, 'package.json'), 'utf8');
    expect(manifestText).toContain('\n    "scripts"'); // the project's indentation is kept
    expect((await readPackage()).scripts['troupe:run']).toBe('my own');

    const again = await initProject({ dir });
    expect(again.files.every((file) => file.action === 'kept')).toBe(true);

    const forced = await initProject({ dir, force: true });
    expect(forced.files.every((file) => file.action === 'written')).toBe(true);
    expect(await readFile(path.join(dir, 'troupe.config.ts'), 'utf8')).toContain('defineConfig');
    expect((await readPackage()).scripts['troupe:run']).toBe('troupe run');
  });

  it('refuses a folder without package.json (exit code 2)', async () => {
    const error = await initProject({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliExit);
    expect((error as CliExit).exitCode).toBe(2);
    expect((error as CliExit).message).toContain('no package.json');
  });

  it('writes a scenario the scenario loader accepts', async () => {
    await writePackage({ name: 'a', devDependencies: { vitest: '4' } });
    await initProject({ dir, exchange: 'a.events' });
    const file = path.join(dir, 'scenarios/example.scenario.yaml');
    const parsed = parseScenario(await readFile(file, 'utf8'), file, {
      vocabulary: {
        eventTypes: ['ExampleRequested', 'ExampleCompleted'],
        services: [],
        terminalEventTypes: ['ExampleCompleted'],
        exchanges: ['a.events'],
      },
    });
    expect(parsed.ok ? 'valid' : parsed.error.message).toBe('valid');
  });
});
