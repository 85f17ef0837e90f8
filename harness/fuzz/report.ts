import type { FuzzReport } from './fuzz-simulation';
import { describeFault } from './schedule';
import type { TimelineEntry } from './simulate';

/** A one-line summary: runs, schedules/s, violations. */
export function formatFuzzSummary(report: FuzzReport): string {
  const verdict = report.failure ? `${report.failure.violations.length} violation(s)` : '0 violations';
  return (
    `${report.target}: ${report.runs} run(s), ${report.executed} schedule(s) in ${(report.elapsedMs / 1000).toFixed(2)} s ` +
    `(${Math.round(report.schedulesPerSecond)} schedules/s), ${verdict}, seed ${report.seed}`
  );
}

/** The full human report: summary, and for a failure the violations, minimal schedule, timeline and replay. */
export function formatFuzzReport(report: FuzzReport): string {
  const lines = [formatFuzzSummary(report)];
  const failure = report.failure;
  if (!failure) return lines.join('\n');
  const label = flowLabeller(failure.flows);
  lines.push(
    '',
    `Counterexample found after ${report.runs} run(s) / ${report.schedulesToFailure} schedule(s), shrunk ${failure.shrinks} time(s)`,
    `  seed ${report.seed}, path ${failure.path}`,
    `  replay: ${failure.replayCommand}`,
    '',
    'Violations:',
    ...failure.violations.map(
      (v) => `  ✗ [${v.property}] ${v.name}: ${relabel(v.detail, failure.flows, label)}`,
    ),
    '',
    'Minimal schedule:',
    ...(failure.schedule.faults.length === 0
      ? [
          failure.schedule.interleave
            ? '  (no faults: the interleaving alone breaks an invariant)'
            : '  (no faults: the clean run itself breaks an invariant)',
        ]
      : failure.schedule.faults.map((fault) => `  - ${describeFault(fault)}`)),
    failure.schedule.interleave
      ? `  interleaved by the scheduler (seed ${failure.schedule.interleave}): deliveries, batches and transactions run concurrently`
      : '  sequential: one thing at a time',
    '',
    `Flows: ${failure.flows.map((key) => `${label(key)}=${key}`).join(', ')}`,
    '',
    'Timeline:',
    ...formatTimeline(failure.timeline, label),
  );
  return lines.join('\n');
}

/** Renders a simulated run's timeline, one delivery per line. */
export function formatTimeline(
  timeline: readonly TimelineEntry[],
  label: (key: string | undefined) => string,
): string[] {
  const lines: string[] = [];
  for (const entry of timeline) {
    if (entry.kind === 'fault') {
      lines.push(`           ⚡ ${entry.text}`);
      continue;
    }
    if (entry.kind === 'publish') {
      const again = entry.again ? '  (published again: same event id)' : '';
      lines.push(`        ↳ published ${entry.eventType.padEnd(26)} ${label(entry.key)}${again}`);
      continue;
    }
    const what =
      `${entry.queue}#${entry.nth}${entry.copy ? ' copy' : ''}${entry.redelivered ? ' redelivered' : ''}` +
      (entry.instance !== undefined ? ` @${entry.instance}` : '');
    const fault = entry.fault ? `  ⚡ ${entry.fault}` : '';
    lines.push(
      `  ${String(entry.step).padStart(4)}  ${what.padEnd(36)} ${entry.eventType.padEnd(26)} ${label(entry.key).padEnd(4)} ${entry.settled}${fault}`,
    );
  }
  return lines;
}

function flowLabeller(flows: readonly string[]): (key: string | undefined) => string {
  const labels = new Map(flows.map((key, index) => [key, `f${index + 1}`]));
  return (key) => (key === undefined ? '-' : (labels.get(key) ?? key.slice(-4)));
}

function relabel(text: string, flows: readonly string[], label: (key: string) => string): string {
  let result = text;
  for (const key of flows) result = result.split(key).join(label(key));
  return result;
}
