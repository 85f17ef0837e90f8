import { describeFault, type Schedule } from '../../fuzz/schedule';
import { describeChaosFault } from './chaos-fault';
import type { ConvertedPlan } from './plan-from-schedule';

/**
 * What a schedule became, for a CLI to print before the run: the simulated faults, the plan's faults, the ones
 * skipped (with why) and the notes — so a user sees exactly which part of the counterexample replays live.
 */
export function describeConversion(schedule: Schedule, converted: ConvertedPlan): string[] {
  const lines = [
    `schedule (simulated): ${schedule.faults.length === 0 ? 'no faults' : schedule.faults.map(describeFault).join('; ')}`,
    converted.plan.faults.length === 0
      ? 'converted plan: no faults'
      : `converted plan:\n${converted.plan.faults.map((fault) => `  - ${describeChaosFault(fault)}`).join('\n')}`,
  ];
  if (converted.skipped.length > 0) {
    lines.push(
      `skipped (cannot be caused from the wire):\n${converted.skipped
        .map(({ fault, why }) => `  - ${describeFault(fault)}: ${why}`)
        .join('\n')}`,
    );
  }
  for (const note of converted.notes) lines.push(`not replayed: ${note}`);
  return lines;
}
