import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultScenarioGlob, findScenarioFiles } from '../../scenario/find-scenario-files';
import { renderJUnitReport } from '../../scenario/junit-report';
import { loadScenarioFile, scenarioLoadOptions, type LoadedScenario } from '../../scenario/load-scenario';
import { scenarioJsonSchemaText } from '../../scenario/scenario-json-schema';
import {
  renderScenarioReport,
  renderScenarioSummaryLine,
  type ScenarioReport,
} from '../../scenario/scenario-report';
import { ScenarioSpecError } from '../../scenario/scenario-spec-error';
import { runScenarios } from '../../scenario/run-scenarios';
import { CliExit, exitWhenDone } from '../cli-exit';
import { acquireTarget, type AcquiredTarget } from '../reference-target';
import { addConfigOption } from '../resolve-target';

/** Options of `troupe scenarios`. */
interface ScenariosCommandOptions {
  readonly sim?: boolean;
  readonly junit?: string;
  readonly tag?: string[];
  readonly concurrency: string;
  readonly check?: boolean;
  readonly writeSchema?: boolean;
  readonly timeline?: boolean;
  readonly config?: string;
}

/** Registers `troupe scenarios [glob]`. */
export function registerScenariosCommand(program: Command): void {
  const command = program
    .command('scenarios')
    .description(
      'run scenario specs (scenarios/*.scenario.yaml) against the services of troupe.config.* (or --config FILE); ' +
        'without a manifest, against the reference shop',
    )
    .argument('[glob]', 'spec files: a file, a directory or a glob', defaultScenarioGlob)
    .option('--sim', 'the reference shop on the deterministic in-memory transport instead of RabbitMQ')
    .option('--junit <file>', 'write a JUnit XML report for CI')
    .option('--tag <tag...>', 'only scenarios with one of these tags')
    .option('--concurrency <n>', 'scenarios run at once (each in its own namespace)', '6')
    .option('--check', 'only validate and list the specs (exit 2 on a bad spec), run nothing')
    .option('--timeline', 'print the timeline of passing scenarios too')
    .option(
      '--write-schema',
      "write the target's scenario JSON Schema (its events, services, steps, probes) to scenarios/scenario.schema.json " +
        '(next to the manifest) and exit',
    );
  addConfigOption(command)
    .addHelpText(
      'after',
      '\nExit codes: 0 every scenario passed, 1 a scenario failed, 2 usage or spec error.\n' +
        'Examples:\n  troupe scenarios\n  troupe scenarios scenarios/happy-path.scenario.yaml --sim\n' +
        '  troupe scenarios --config examples/box-office/troupe.config.ts examples/box-office/scenarios\n' +
        '  troupe scenarios "scenarios/*.scenario.yaml" --junit reports/scenarios.xml',
    )
    .action(async (glob: string, options: ScenariosCommandOptions) => {
      try {
        process.exitCode = await scenariosCommand(glob, options);
      } finally {
        // Also when the command fails: a handle leaked on the way must not hang CI.
        exitWhenDone();
      }
    });
}

async function scenariosCommand(glob: string, options: ScenariosCommandOptions): Promise<number> {
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new CliExit(2, `--concurrency must be a positive integer, got "${options.concurrency}"`);
  }
  const flags = options.config !== undefined ? { config: options.config } : {};
  // A bad manifest stops here (exit 2), and a bad spec just below: both before any broker is acquired or any
  // service started. The vocabulary does not depend on where the target runs.
  const specsTarget = await acquireTarget({ ...flags, sim: options.sim ?? false, specsOnly: true });
  const loadOptions = scenarioLoadOptions(specsTarget.target, specsTarget.vocabulary);
  if (options.writeSchema) {
    // Next to the manifest (its scenarios/ folder), or in the working directory's for the reference shop.
    const file = path.relative(
      process.cwd(),
      path.join(specsTarget.dir, 'scenarios', 'scenario.schema.json'),
    );
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, await prettyJson(scenarioJsonSchemaText(loadOptions.vocabulary)));
    console.log(`wrote ${file} (${specsTarget.target.name})`);
    return 0;
  }
  const scenarios = await loadAll(glob, loadOptions, options.tag);
  if (options.check) {
    for (const { spec, file } of scenarios) {
      const tags = spec.tags.length > 0 ? `  [${spec.tags.join(', ')}]` : '';
      console.log(`✓ ${spec.name}  (${file})${tags}`);
    }
    console.log(`${scenarios.length} scenario spec(s) valid`);
    return 0;
  }
  await using acquired = await acquireTarget({ ...flags, sim: options.sim ?? false });
  console.log(acquired.firstLine);
  const reports = await runAll(scenarios, acquired, {
    concurrency,
    timeline: options.timeline ?? false,
  });
  if (options.junit) await writeJUnit(options.junit, reports);
  return reports.every((report) => report.ok) ? 0 : 1;
}

/** Finds and validates specs; every bad spec is printed (file:line:column) and the command exits 2. */
export async function loadAll(
  glob: string,
  loadOptions: Parameters<typeof loadScenarioFile>[1],
  tags?: readonly string[],
): Promise<LoadedScenario[]> {
  const files = await findScenarioFiles(glob);
  if (files.length === 0) throw new CliExit(2, `no scenario specs match "${glob}"`);
  const loaded: LoadedScenario[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      loaded.push(await loadScenarioFile(file, loadOptions));
    } catch (error) {
      if (error instanceof ScenarioSpecError) problems.push(error.message);
      else throw error;
    }
  }
  if (problems.length > 0) {
    throw new CliExit(
      2,
      `${problems.join('\n')}\n${problems.length} invalid scenario spec(s); nothing was run`,
    );
  }
  const selected =
    tags && tags.length > 0
      ? loaded.filter((scenario) => scenario.spec.tags.some((tag) => tags.includes(tag)))
      : loaded;
  if (selected.length === 0) throw new CliExit(2, `no scenario has a tag in ${JSON.stringify(tags)}`);
  return selected;
}

/**
 * Runs the scenarios against the acquired target concurrently, with progress on stderr; prints failures with their
 * timelines (and the services' output) and a summary.
 */
export async function runAll(
  scenarios: readonly LoadedScenario[],
  target: AcquiredTarget,
  options: { readonly concurrency: number; readonly timeline: boolean },
): Promise<ScenarioReport[]> {
  const started = Date.now();
  const running = new Map<string, number>();
  const heartbeat = setInterval(() => {
    const slow = [...running].filter(([, since]) => Date.now() - since > 5_000);
    if (slow.length > 0) {
      process.stderr.write(
        `  … still running: ${slow.map(([name, since]) => `${name} (${Math.round((Date.now() - since) / 1000)}s)`).join(', ')}\n`,
      );
    }
  }, 5_000);
  let reports: ScenarioReport[];
  try {
    reports = await runScenarios(scenarios, {
      target: target.target,
      mode: target.mode,
      ...(target.chaos ? { chaos: target.chaos } : {}),
      ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : {}),
      cwd: target.dir,
      // A manifest's services share their exchanges and queues between runs (they cannot be renamed per run):
      // its scenarios run one at a time.
      concurrency: target.kind === 'manifest' ? 1 : options.concurrency,
      onStart: (scenario) => running.set(scenario.spec.name, Date.now()),
      onFinish: (report, done, total) => {
        running.delete(report.name);
        // Passing scenarios get one line (all checks with --timeline); failures show checks and timelines.
        const text =
          report.ok && !options.timeline
            ? renderScenarioSummaryLine(report)
            : renderScenarioReport(report, { timeline: options.timeline || !report.ok });
        process.stderr.write(`[${done}/${total}] ${text}\n`);
      },
    });
  } finally {
    clearInterval(heartbeat);
  }
  const passed = reports.filter((report) => report.ok).length;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${passed}/${reports.length} scenario(s) passed in ${seconds}s on ${target.mode === 'sim' ? 'the in-memory transport' : 'RabbitMQ'}` +
      (passed === reports.length
        ? ''
        : `; failed: ${reports
            .filter((r) => !r.ok)
            .map((r) => r.name)
            .join(', ')}`),
  );
  return reports;
}

async function writeJUnit(file: string, reports: readonly ScenarioReport[]): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, renderJUnitReport(reports));
  console.log(`JUnit report: ${file}`);
}

/** Formats JSON with Prettier when it is installed (it owns the committed layout), as is otherwise. */
async function prettyJson(text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig('scenarios/scenario.schema.json')) ?? {};
    return await prettier.format(text, { ...config, parser: 'json' });
  } catch {
    return text;
  }
}
