import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../_internals/package-root';
import { renderHtmlReport } from '../../observe/render-html';
import { defaultScenarioGlob } from '../../scenario/find-scenario-files';
import { renderScenariosHtml, type RunReportSection } from '../../scenario/html-report';
import { renderJUnitReport } from '../../scenario/junit-report';
import type { ScenarioReport } from '../../scenario/scenario-report';
import { runScenarios } from '../../scenario/run-scenarios';
import { CliExit, exitWhenDone } from '../cli-exit';
import { scenarioLoadOptions } from '../../scenario/load-scenario';
import { acquireTarget } from '../reference-target';
import { addConfigOption } from '../resolve-target';
import { loadAll } from './scenarios';

interface RunCommandOptions {
  readonly sim?: boolean;
  readonly fuzz: boolean;
  readonly fuzzRuns: string;
  readonly reports: string;
  readonly junit?: string;
  readonly demo?: boolean;
  readonly config?: string;
}

/** Registers `troupe run`: the main job (`npm start`). */
export function registerRunCommand(program: Command): void {
  const command = program.command('run');
  addConfigOption(command)
    .description(
      'the main job: run every scenario against the services of troupe.config.* (or --config FILE) — without a ' +
        'manifest, against the reference shop on the broker it finds (AMQP_URL / local / Testcontainers / ' +
        'in-memory) plus a short fuzz smoke — print a summary, write an HTML report',
    )
    .option('--sim', 'run on the deterministic in-memory transport even if a broker is reachable')
    .option('--no-fuzz', 'skip the fuzz smoke')
    .option('--fuzz-runs <n>', 'schedules in the fuzz smoke', '200')
    .option('--reports <dir>', 'where the HTML report goes', 'reports')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--demo', "first run the services' demo (demo orders on every path, each order's event chain)")
    .addHelpText(
      'after',
      '\nExit codes: 0 all passed, 1 a scenario or the fuzz smoke failed, 2 usage or spec error.',
    )
    .action(async (options: RunCommandOptions) => {
      try {
        process.exitCode = await runCommand(options);
      } finally {
        // Also when the command fails: a handle leaked on the way must not hang CI.
        exitWhenDone();
      }
    });
}

async function runCommand(options: RunCommandOptions): Promise<number> {
  const fuzzRuns = Number(options.fuzzRuns);
  if (!Number.isInteger(fuzzRuns) || fuzzRuns < 1) {
    throw new CliExit(2, `--fuzz-runs must be a positive integer, got "${options.fuzzRuns}"`);
  }
  const started = Date.now();
  // The first line says what runs where — loudly when it is the in-memory transport.
  await using target = await acquireTarget({
    sim: options.sim ?? false,
    ...(options.config !== undefined ? { config: options.config } : {}),
  });
  const where = target.firstLine;
  console.log(where);
  const shop = target.kind === 'reference';

  const sections: RunReportSection[] = [];
  if (options.demo && shop) sections.push(await demo());

  // The shop's specs ship with the package: found from its root, not from the user's working directory; a
  // manifest's live next to it.
  const specs = path.relative(
    process.cwd(),
    path.join(shop ? packageRoot() : target.dir, defaultScenarioGlob),
  );
  const scenarios = await loadAll(specs, scenarioLoadOptions(target.target, target.vocabulary));
  console.log(
    `running ${scenarios.length} scenarios against ${target.target.name} (${target.target.serviceNames.join(', ')})…`,
  );
  const reports = await runScenarios(scenarios, {
    target: target.target,
    mode: target.mode,
    ...(target.chaos ? { chaos: target.chaos } : {}),
    ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : {}),
    cwd: target.dir,
    // A manifest's services share their exchanges and queues between runs: one scenario at a time.
    concurrency: target.kind === 'manifest' ? 1 : 6,
    onFinish: (report, done, total) => {
      process.stderr.write(`  [${done}/${total}] ${report.ok ? '✓' : '✗'} ${report.name}\n`);
    },
  });
  console.log('');
  for (const report of reports) console.log(summaryBlock(report));

  // The fuzz smoke is the shop's (deterministic simulation of its five services); `troupe fuzz` takes manifests.
  if (options.fuzz && shop) {
    const smoke = await fuzzSmoke(fuzzRuns);
    console.log(`\n${smoke.title}: ${smoke.ok ? 'ok' : 'FAILED'}\n${indent(smoke.text)}`);
    sections.push(smoke);
  }

  const htmlFile = await writeReports(options.reports, reports, sections, where);
  if (options.junit) {
    await mkdir(path.dirname(path.resolve(options.junit)), { recursive: true });
    await writeFile(options.junit, renderJUnitReport(reports));
  }
  const passed = reports.filter((report) => report.ok).length;
  const ok = passed === reports.length && sections.every((section) => section.ok);
  console.log(
    `\n${ok ? '✓' : '✗'} ${passed}/${reports.length} scenarios passed` +
      `${options.fuzz && shop ? `, fuzz smoke ${sections.every((s) => s.ok) ? 'passed' : 'FAILED'}` : ''}` +
      ` in ${((Date.now() - started) / 1000).toFixed(1)}s on ${target.mode === 'sim' ? 'the in-memory transport' : 'RabbitMQ'}` +
      `\n  HTML report: ${htmlFile}`,
  );
  return ok ? 0 : 1;
}

/** A scenario's verdict with each flow's chain of event types: what happened, at a glance. */
function summaryBlock(report: ScenarioReport): string {
  const lines = [`${report.ok ? '✓' : '✗'} ${report.name}  (${(report.durationMs / 1000).toFixed(1)}s)`];
  const shown = report.flows.slice(0, 3);
  for (const flow of shown) {
    const seen = new Set<string>();
    const chain = report.events
      .filter((event) => event.identity?.correlationId === flow.correlationId)
      .filter((event) => {
        const id = event.identity?.eventId ?? '';
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      })
      .map((event) => event.identity?.eventType ?? '?');
    lines.push(
      `    ${flow.name}: ${chain.join(' → ') || '(nothing observed)'}` +
        `${flow.terminalAfterMs === undefined ? '  [no terminal event]' : `  [terminal after ${flow.terminalAfterMs} ms]`}`,
    );
  }
  if (report.flows.length > shown.length) {
    const terminals = new Map<string, number>();
    for (const flow of report.flows) {
      const key = flow.terminals.join('+') || 'no terminal';
      terminals.set(key, (terminals.get(key) ?? 0) + 1);
    }
    lines.push(
      `    … ${report.flows.length} flows in all: ${[...terminals].map(([type, n]) => `${n}× ${type}`).join(', ')}`,
    );
  }
  if (!report.ok) {
    if (report.error) lines.push(`    error [${report.error.code}]: ${report.error.message}`);
    for (const check of report.checks.filter((c) => !c.ok)) {
      lines.push(`    ✗ ${check.name}${check.detail ? `: ${check.detail}` : ''}`);
    }
  }
  return lines.join('\n');
}

/** The reference services' own demo (reference-services/demo.ts), printed as it runs. */
async function demo(): Promise<RunReportSection> {
  const lines: string[] = [];
  const { runDemo } = await import('../../../reference-services/demo');
  const result = await runDemo({
    print: (line) => {
      lines.push(line);
      console.log(`  ${line}`);
    },
  });
  return { title: 'demo of the reference services', ok: result.ok, text: lines.join('\n') };
}

/** The fuzz engine's short smoke run in deterministic simulation, when the engine and its shop target exist. */
async function fuzzSmoke(runs: number): Promise<RunReportSection> {
  const title = `fuzz smoke (${runs} schedules in deterministic simulation)`;
  try {
    const { runFuzzSmoke } = await import('../fuzz-smoke');
    const result = await runFuzzSmoke(runs);
    return { title, ok: result.ok, text: result.text };
  } catch (error) {
    return {
      title,
      ok: false,
      text: `could not run: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

async function writeReports(
  dir: string,
  reports: readonly ScenarioReport[],
  sections: readonly RunReportSection[],
  infrastructure: string,
): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = path.join(dir, `run-${stamp}`);
  await mkdir(runDir, { recursive: true });
  await Promise.all(
    reports.map((report, index) =>
      writeFile(
        path.join(runDir, `scenario-${index + 1}.html`),
        renderHtmlReport(report.events, { title: `${report.ok ? '✓' : '✗'} ${report.name}` }),
      ),
    ),
  );
  const html = renderScenariosHtml(reports, {
    infrastructure,
    sections,
    flowReportHref: (index) => `scenario-${index + 1}.html`,
  });
  const index = path.join(runDir, 'index.html');
  await writeFile(index, html);
  await writeFile(
    path.join(dir, 'latest.html'),
    html.replace(/href="scenario-/g, `href="run-${stamp}/scenario-`),
  );
  return index;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
