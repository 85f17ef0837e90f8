import type { AccountingReport } from '../observe/flow-accounting';
import type { ObservedEvent } from '../observe/observed-event';
import { renderTimeline } from '../observe/render-timeline';
import { formatDuration } from './duration';
import type { AppliedFault } from './fault-injector';

/** Where a scenario ran: a real broker, or the deterministic in-memory transport. */
export type ScenarioMode = 'broker' | 'sim';

/** One flow the scenario started. */
export interface ScenarioFlow {
  /** The flow's name (`as`), with `#n` when a step started several. */
  readonly name: string;
  /** Its business key (`{{flow.key}}`). */
  readonly key: string;
  readonly correlationId: string;
  /** Distinct terminal events observed, in order. */
  readonly terminals: readonly string[];
  /** Milliseconds from the step that started it to its first terminal event. */
  readonly terminalAfterMs?: number | undefined;
}

/** What one service of the target did during the run: how it ended (if it did) and what it wrote. */
export interface ScenarioServiceReport {
  readonly name: string;
  /** Set when it exited by itself (a crash): the run failed. */
  readonly exit?: { readonly code: number | null; readonly signal: string | null } | undefined;
  /** Its output lines of this run (the last 200 at most). */
  readonly output: readonly string[];
}

/** One expectation of `then` (or a built-in invariant) and its verdict. */
export interface ScenarioCheck {
  /** What was checked, in words: `order: chain OrderPlaced → … → CustomerNotified`. */
  readonly name: string;
  readonly ok: boolean;
  /** Why it failed (or a short note when it passed). */
  readonly detail?: string | undefined;
  /** The flow it concerns, when one. */
  readonly correlationId?: string | undefined;
}

/** Everything `runScenario` learnt: verdict, checks, flows, faults and every observed delivery. */
export interface ScenarioReport {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  readonly mode: ScenarioMode;
  readonly namespace: string;
  readonly ok: boolean;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly flows: readonly ScenarioFlow[];
  readonly checks: readonly ScenarioCheck[];
  readonly faults: readonly AppliedFault[];
  /** Every delivery the tap recorded, duplicates and redeliveries included. */
  readonly events: readonly ObservedEvent[];
  readonly accounting?: AccountingReport | undefined;
  /** The target's services and their output (process targets). */
  readonly services?: readonly ScenarioServiceReport[] | undefined;
  /** Set when the run itself broke (target could not start, a command failed): not a failed expectation. */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

/** The failed checks of a report. */
export function failedChecks(report: ScenarioReport): ScenarioCheck[] {
  return report.checks.filter((check) => !check.ok);
}

/** One line per scenario: `✓ happy path (1.2s, 1 flow)` or `✗ … — 2 failed checks`. */
export function renderScenarioSummaryLine(report: ScenarioReport): string {
  const flows = `${report.flows.length} flow${report.flows.length === 1 ? '' : 's'}`;
  const where = `${formatDuration(report.durationMs)}, ${flows}, ${report.events.length} deliveries`;
  if (report.ok) return `✓ ${report.name} (${where})`;
  const failed = failedChecks(report).length;
  const why = report.error
    ? `error ${report.error.code}`
    : `${failed} failed check${failed === 1 ? '' : 's'}`;
  return `✗ ${report.name} (${where}) — ${why}  [${report.file}]`;
}

/**
 * The full text report: verdict, every check, faults applied, and — when something failed — the timeline of
 * everything observed, so a failure explains itself.
 */
export function renderScenarioReport(report: ScenarioReport, options: { timeline?: boolean } = {}): string {
  const lines = [renderScenarioSummaryLine(report)];
  if (report.error) lines.push(`  error [${report.error.code}]: ${report.error.message}`);
  for (const check of report.checks) {
    lines.push(
      `  ${check.ok ? '✓' : '✗'} ${check.name}${check.detail && !check.ok ? `\n      ${check.detail}` : ''}`,
    );
  }
  if (report.accounting) {
    const { flows, ok, lost, duplicated, unexpected, recovered } = report.accounting.totals;
    lines.push(
      `  accounting: ${flows} flow(s): ${ok} ok, ${lost} lost, ${duplicated} duplicated, ${unexpected} unexpected, ` +
        `${recovered} recovered from repeated deliveries`,
    );
  }
  if (report.faults.length > 0) {
    const start = Date.parse(report.startedAt);
    lines.push('  faults applied:');
    for (const fault of report.faults) {
      lines.push(`    +${Math.round(fault.at - start)}ms ${fault.kind}: ${fault.detail}`);
    }
  }
  if (options.timeline ?? !report.ok) {
    for (const flow of report.flows) {
      const events = report.events.filter((event) => event.identity?.correlationId === flow.correlationId);
      lines.push(
        indent(
          renderTimeline(events, {
            title: `Timeline of ${flow.name} (correlation ${flow.correlationId}, ${events.length} deliveries):`,
          }),
        ),
      );
    }
  }
  if (!report.ok) {
    for (const service of report.services ?? []) {
      if (service.output.length === 0 && !service.exit) continue;
      const exit = service.exit
        ? ` — exited by itself (${service.exit.code ?? service.exit.signal ?? '?'})`
        : '';
      const shown = service.output.slice(-20);
      lines.push(
        `  Output of ${service.name}${exit} (last ${shown.length} of ${service.output.length} lines):`,
      );
      for (const line of shown) lines.push(`    | ${line}`);
    }
  }
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
