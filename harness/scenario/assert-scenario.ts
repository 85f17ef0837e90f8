import type { LoadedScenario } from './load-scenario';
import { renderScenarioReport, type ScenarioReport } from './scenario-report';
import { runScenario, type RunScenarioOptions } from './run-scenario';

/**
 * A scenario that did not pass. `code` is stable; the message is the rendered report with the timeline of every
 * flow; `cause` is the full `ScenarioReport` (zod style: `runScenario` returns, `assertScenario` throws).
 */
export class ScenarioFailedError extends Error {
  readonly code: 'scenario-failed' | 'scenario-error';
  readonly report: ScenarioReport;
  constructor(report: ScenarioReport) {
    super(renderScenarioReport(report, { timeline: true }), { cause: report });
    this.name = 'ScenarioFailedError';
    this.code = report.error ? 'scenario-error' : 'scenario-failed';
    this.report = report;
  }
}

/** Runs a scenario and throws a `ScenarioFailedError` (report as `cause`) unless every check passed. */
export async function assertScenario(
  scenario: LoadedScenario,
  options: RunScenarioOptions,
): Promise<ScenarioReport> {
  const report = await runScenario(scenario, options);
  if (!report.ok) throw new ScenarioFailedError(report);
  return report;
}
