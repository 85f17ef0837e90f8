import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CliExit } from '../cli-exit';
import { detectTestRunner, type PackageManifest, type TestRunner } from './init/detect-test-runner';
import { configTemplate, scenarioTemplate, testFileExtension, testTemplate } from './init/init-templates';

/** Options of `troupe init` (and of `initProject`). */
export interface InitOptions {
  /** The project folder (its package.json). Default: the working directory. */
  readonly dir?: string;
  /** Overwrite files and scripts that exist. */
  readonly force?: boolean;
  /** Write the test for this runner instead of the detected one. */
  readonly runner?: TestRunner;
  /** The exchange of the example flow. Default: `<package name>.events`. */
  readonly exchange?: string;
}

/** What `initProject` did with each file and script. */
export interface InitResult {
  readonly runner: TestRunner;
  readonly runnerReason: string;
  /** Paths relative to the project, each `written` or `kept` (it existed and `force` was off). */
  readonly files: readonly { readonly path: string; readonly action: 'written' | 'kept' }[];
  readonly scripts: readonly { readonly name: string; readonly action: 'written' | 'kept' }[];
}

/** Registers `troupe init`: a manifest, a scenario, a test with the matchers and npm scripts, in the user's project. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'set Troupe up in this project: troupe.config.ts, one scenario, one test using the flow matchers ' +
        '(Jest or Vitest, detected) and npm scripts; never overwrites without --force',
    )
    .option('--force', 'overwrite files and npm scripts that already exist')
    .option('--runner <runner>', 'jest or vitest (default: detected from package.json and config files)')
    .option('--exchange <name>', "the example flow's exchange (default: <package name>.events)")
    .option('--dir <path>', 'the project folder', '.')
    .action(async (flags: { force?: boolean; runner?: string; exchange?: string; dir: string }) => {
      if (flags.runner !== undefined && flags.runner !== 'jest' && flags.runner !== 'vitest') {
        throw new CliExit(2, `--runner must be jest or vitest, got "${flags.runner}"`);
      }
      const result = await initProject({
        dir: flags.dir,
        force: flags.force ?? false,
        ...(flags.runner === undefined ? {} : { runner: flags.runner }),
        ...(flags.exchange === undefined ? {} : { exchange: flags.exchange }),
      });
      console.log(`troupe init: test runner ${result.runner} (${result.runnerReason})`);
      for (const file of result.files) console.log(`  ${describe(file.action)} ${file.path}`);
      for (const script of result.scripts)
        console.log(`  ${describe(script.action)} npm script "${script.name}"`);
      if ([...result.files, ...result.scripts].some((entry) => entry.action === 'kept')) {
        console.log('  (kept: it already existed; --force overwrites)');
      }
      const testScript = result.scripts.find((script) => script.name === 'test:troupe');
      console.log(
        `next: start your services, then \`npm run ${testScript?.name ?? 'test:troupe'}\`; ` +
          'edit troupe.config.ts to describe them',
      );
    });
}

/**
 * Writes Troupe's starting files into a project: `troupe.config.ts`, `scenarios/example.scenario.yaml`, a test
 * using the matchers (`test/troupe.test.ts`, or `.cjs` for Jest without a TypeScript transform) and npm scripts.
 * An existing file or script is kept unless `force`. Throws `CliExit(2)` when there is no package.json.
 */
export async function initProject(options: InitOptions = {}): Promise<InitResult> {
  const dir = path.resolve(options.dir ?? '.');
  const manifestFile = path.join(dir, 'package.json');
  if (!existsSync(manifestFile)) {
    throw new CliExit(2, `troupe init: no package.json in ${dir} (run \`npm init -y\` first)`);
  }
  const manifestText = await readFile(manifestFile, 'utf8');
  let manifest: PackageManifest & Record<string, unknown>;
  try {
    manifest = JSON.parse(manifestText) as PackageManifest & Record<string, unknown>;
  } catch (cause) {
    throw new CliExit(2, `troupe init: ${manifestFile} is not valid JSON`, { cause });
  }
  const detected = detectTestRunner(dir, manifest);
  const runner = options.runner ?? detected.runner;
  const typescript = runner === detected.runner ? detected.typescript : runner === 'vitest';
  const name = typeof manifest.name === 'string' && manifest.name !== '' ? manifest.name : path.basename(dir);
  const exchange = options.exchange ?? `${name.replace(/^@/, '').replace(/[^A-Za-z0-9_.:-]/g, '.')}.events`;
  const values = { name, exchange };
  const testDir =
    existsSync(path.join(dir, '__tests__')) && !existsSync(path.join(dir, 'test')) ? '__tests__' : 'test';
  const testFile = `${testDir}/troupe.test${testFileExtension({ runner, typescript })}`;

  const files: { path: string; action: 'written' | 'kept' }[] = [];
  const write = async (relative: string, content: string): Promise<void> => {
    const file = path.join(dir, relative);
    if (existsSync(file) && options.force !== true) {
      files.push({ path: relative, action: 'kept' });
      return;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    files.push({ path: relative, action: 'written' });
  };
  await write('troupe.config.ts', configTemplate(values));
  await write('scenarios/example.scenario.yaml', scenarioTemplate(values));
  await write(testFile, testTemplate({ runner, typescript }));

  const wanted: Record<string, string> = {
    'test:troupe': runner === 'jest' ? `jest ${testFile}` : `vitest run ${testFile}`,
    'troupe:scenarios': 'troupe scenarios scenarios',
    'troupe:run': 'troupe run',
  };
  const scripts: Record<string, string> = { ...manifest.scripts };
  const scriptResults: { name: string; action: 'written' | 'kept' }[] = [];
  for (const [script, command] of Object.entries(wanted)) {
    const exists = scripts[script] !== undefined && scripts[script] !== command;
    if (exists && options.force !== true) {
      scriptResults.push({ name: script, action: 'kept' });
      continue;
    }
    scripts[script] = command;
    scriptResults.push({ name: script, action: 'written' });
  }
  if (scriptResults.some((script) => script.action === 'written')) {
    const indent = /^[ \t]+(?=")/m.exec(manifestText)?.[0] ?? '  ';
    const eol = manifestText.endsWith('\n') ? '\n' : '';
    await writeFile(manifestFile, JSON.stringify({ ...manifest, scripts }, null, indent) + eol);
  }
  return {
    runner,
    runnerReason: options.runner ? '--runner' : detected.reason,
    files,
    scripts: scriptResults,
  };
}

function describe(action: 'written' | 'kept'): string {
  return action === 'written' ? 'wrote' : 'kept ';
}
