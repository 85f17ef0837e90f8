import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultScenarioGlob, findScenarioFiles } from '../../scenario/find-scenario-files';
import { renderJUnitReport } from '../../scenario/junit-report';
import { loadScenarioFile, type LoadedScenario } from '../../scenario/load-scenario';
import { scenarioJsonSchemaText } from '../../scenario/scenario-json-schema';
import {
  renderScenarioReport,
  renderScenarioSummaryLine,
  type ScenarioReport,
} from '../../scenario/scenario-report';
import { ScenarioSpecError } from '../../scenario/scenario-spec-error';
import { runScenarios } from '../../scenario/run-scenarios';
import { CliExit, exitWhenDone } from '../cli-exit';
import { acquireTarget, describeTargetLine } from '../reference-target';

/** Options of `troupe scenarios`. */
interface ScenariosCommandOptions {
  readonly sim?: boolean;
  readonly junit?: string;
  readonly tag?: string[];
  readonly concurrency: string;
  readonly check?: boolean;
  readonly writeSchema?: boolean;
  readonly timeline?: boolean;
}

/** Registers `troupe scenarios [glob]`. */
export function registerScenariosCommand(program: Command): void {
  program
    .command('scenarios')
    .description('run scenario specs (scenarios/*.scenario.yaml) against the reference services')
    .argument('[glob]', 'spec files: a file, a directory or a glob', defaultScenarioGlob)
    .option('--sim', 'run on the deterministic in-memory transport instead of RabbitMQ')
    .option('--junit <file>', 'write a JUnit XML report for CI')
    .option('--tag <tag...>', 'only scenarios with one of these tags')
    .option('--concurrency <n>', 'scenarios run at once (each in its own namespace)', '6')
    .option('--check', 'only validate and list the specs (exit 2 on a bad spec), run nothing')
    .option('--timeline', 'print the timeline of passing scenarios too')
    .option('--write-schema', 'regenerate scenarios/scenario.schema.json from the zod schema and exit')
    .addHelpText(
      'after',
      '\nExit codes: 0 every scenario passed, 1 a scenario failed, 2 usage or spec error.\n' +
        'Examples:\n  troupe scenarios\n  troupe scenarios scenarios/happy-path.scenario.yaml --sim\n' +
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
  const { shopLoadOptions, shopVocabulary } = await import('../../../scenarios/shop-vocabulary');
  if (options.writeSchema) {
    const file = path.join('scenarios', 'scenario.schema.json');
    await writeFile(file, await prettyJson(scenarioJsonSchemaText(shopVocabulary)));
    console.log(`wrote ${file}`);
    return 0;
  }
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new CliExit(2, `--concurrency must be a positive integer, got "${options.concurrency}"`);
  }
  const scenarios = await loadAll(glob, shopLoadOptions, options.tag);
  if (options.check) {
    for (const { spec, file } of scenarios) {
      const tags = spec.tags.length > 0 ? `  [${spec.tags.join(', ')}]` : '';
      console.log(`✓ ${spec.name}  (${file})${tags}`);
    }
    console.log(`${scenarios.length} scenario spec(s) valid`);
    return 0;
  }
  const reports = await runAll(scenarios, {
    sim: options.sim ?? false,
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
 * Acquires the target (RabbitMQ, or the in-memory transport with `--sim` or when no broker is reachable), runs
 * the scenarios concurrently with progress on stderr, prints failures with their timelines and a summary.
 */
export async function runAll(
  scenarios: readonly LoadedScenario[],
  options: { readonly sim: boolean; readonly concurrency: number; readonly timeline: boolean },
): Promise<ScenarioReport[]> {
  await using target = await acquireTarget({ sim: options.sim });
  console.log(describeTargetLine(target));
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
      target: target.factory,
      mode: target.mode,
      concurrency: options.concurrency,
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
