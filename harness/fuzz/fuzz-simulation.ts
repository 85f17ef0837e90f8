import fc from 'fast-check';
import { checkSchedule, type BaselineCache, type Violation } from './check-schedule';
import { formatFuzzReport } from './report';
import { faultArbitrary, type Fault, type Schedule, type ScheduleShape } from './schedule';
import type { SimTarget } from './sim-target';
import type { TimelineEntry } from './simulate';

/** Options of a simulation fuzzing session. */
export interface FuzzSimulationOptions {
  /** fast-check runs, i.e. workloads to try (default 200). */
  readonly runs?: number;
  /**
   * Schedules tried per workload (1..n, default 4): they share the workload's clean baseline run, which makes
   * each schedule cheaper; shrinking drops the schedules that did not fail.
   */
  readonly schedulesPerWorkload?: number;
  /** fast-check seed; print it, it replays the session. Default: derived from the time (and reported). */
  readonly seed?: number;
  /** With `seed`: replay one counterexample (`path` from a report) instead of searching. */
  readonly path?: string;
  /** Delivery budget per run before it counts as not quiescing. */
  readonly maxSteps?: number;
  /** Overrides of the schedule shape (consumers and crash points come from the target). */
  readonly shape?: Omit<ScheduleShape, 'consumers' | 'crashPoints'>;
  /** Called after every executed schedule (searching and shrinking). */
  readonly onProgress?: (progress: FuzzProgress) => void;
  /** How to print the replay command for a `<seed>:<path>` token. */
  readonly replayCommand?: (token: string) => string;
}

/** Where a session is. */
export interface FuzzProgress {
  /** fast-check runs started (capped at `planned`; shrinking runs past it). */
  readonly runs: number;
  readonly planned: number;
  /** Schedules executed so far. */
  readonly schedules: number;
  /** True once a failure was found and fast-check is shrinking it. */
  readonly shrinking: boolean;
}

/** The minimal failing case. */
export interface FuzzFailure<W = unknown> {
  /** `<seed>:<path>`: feed it to `--replay`. */
  readonly replay: string;
  readonly replayCommand: string;
  readonly path: string;
  readonly workload: W;
  readonly schedule: Schedule;
  readonly flows: readonly string[];
  readonly violations: readonly Violation[];
  readonly timeline: readonly TimelineEntry[];
  readonly shrinks: number;
}

/** What a fuzzing session did and found. */
export interface FuzzReport<W = unknown> {
  readonly target: string;
  readonly seed: number;
  /** Schedules executed, shrinking included. */
  readonly executed: number;
  /** Schedules executed until the first failure was found (before shrinking), or all of them. */
  readonly schedulesToFailure: number;
  /** Milliseconds until the first failing schedule was found (before shrinking); undefined without failure. */
  readonly msToFailure?: number;
  /** fast-check runs (workloads) until the first failure, or all planned runs. */
  readonly runs: number;
  readonly elapsedMs: number;
  readonly schedulesPerSecond: number;
  readonly failure?: FuzzFailure<W>;
}

/** Thrown by `assertFuzzSimulation`; the report is the `cause`. */
export class FuzzViolationError extends Error {
  readonly code = 'fuzz-violation';
  constructor(report: FuzzReport) {
    super(formatFuzzReport(report), { cause: report });
    this.name = 'FuzzViolationError';
  }
}

class ScheduleViolated extends Error {
  readonly violations: readonly Violation[];
  constructor(violations: readonly Violation[]) {
    super(violations.map((v) => `${v.property}: ${v.name}: ${v.detail}`).join('\n'));
    this.violations = violations;
  }
}

/**
 * Fuzzes `target` in deterministic simulation: fast-check generates workloads and delivery schedules, each is run
 * and checked (idempotency, invariants, convergence), a failure is shrunk to a minimal schedule and reported with
 * its timeline and a replay token. Returns the report; see `assertFuzzSimulation` to throw instead.
 */
export async function fuzzSimulation<W>(
  target: SimTarget<W>,
  options: FuzzSimulationOptions = {},
): Promise<FuzzReport<W>> {
  const planned = options.runs ?? 200;
  const seed = options.seed ?? (Date.now() ^ (process.pid << 16)) | 0;
  const shape = {
    ...options.shape,
    consumers: target.consumers,
    ...(target.crashPoints ? { crashPoints: target.crashPoints } : {}),
    ...(target.publishers ? { publishers: target.publishers } : {}),
  };
  // One reordering and one interleave seed per workload, shared by its schedules (so they share one clean
  // baseline run); each schedule adds its own duplicates, lost acks, crashes, failures, cuts and confirm faults.
  const reordering = fc.array(faultArbitrary(shape, ['delay']), { maxLength: 3 });
  const faults = fc.array(
    faultArbitrary(shape, ['duplicate', 'redeliver', 'crash', 'fail', 'cut', 'confirm']),
    { maxLength: shape.maxFaults ?? 6 },
  );
  // Half the workloads run one thing at a time; the others interleave, seeded (shrinks to 0: sequential).
  const interleaving = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0x7fffffff }));
  const perSchedule = fc.record({ faults });
  const baselines: BaselineCache = new Map();
  const simulateOptions = options.maxSteps ? { maxSteps: options.maxSteps } : {};
  let executed = 0;
  let invocations = 0;
  let untilFailure = 0;
  let failedYet = false;
  let msToFailure: number | undefined;
  let started = performance.now();
  const property = fc.asyncProperty(
    target.workload,
    fc.record({ delays: reordering, interleave: interleaving }),
    fc.array(perSchedule, { minLength: 1, maxLength: Math.max(1, options.schedulesPerWorkload ?? 4) }),
    async (workload, { delays, interleave }, lists) => {
      invocations++;
      for (const list of lists) {
        const schedule = scheduleOf(delays, interleave, list);
        executed++;
        if (!failedYet) untilFailure++;
        options.onProgress?.({
          runs: Math.min(invocations, planned),
          planned,
          schedules: executed,
          shrinking: failedYet,
        });
        let violations: readonly Violation[];
        try {
          ({ violations } = await checkSchedule(target, workload, schedule, {
            ...simulateOptions,
            baselines,
          }));
        } catch (error) {
          violations = [{ property: 'invariant', name: 'uncaught error', detail: describeError(error) }];
        }
        if (violations.length > 0) {
          if (!failedYet) msToFailure = performance.now() - started;
          failedYet = true;
          throw new ScheduleViolated(violations);
        }
      }
    },
  );
  started = performance.now();
  const details = await fc.check(property, {
    seed,
    numRuns: planned,
    ...(options.path !== undefined ? { path: options.path, endOnFailure: true } : {}),
  });
  const elapsedMs = performance.now() - started;
  const base = {
    target: target.name,
    seed,
    executed,
    schedulesToFailure: untilFailure,
    ...(msToFailure !== undefined ? { msToFailure } : {}),
    runs: details.failed ? details.numRuns : planned,
    elapsedMs,
    schedulesPerSecond: executed / Math.max(elapsedMs / 1000, 1e-9),
  };
  if (!details.failed || !details.counterexample) return base;
  const [workload, { delays, interleave }, lists] = details.counterexample;
  const list = lists.map((own) => scheduleOf(delays, interleave, own));
  const path = details.counterexamplePath ?? '';
  const replay = `${seed}:${path}`;
  // Re-run the minimal case once more, recording its timeline (deterministic: same result).
  let schedule: Schedule = list[list.length - 1] ?? { faults: [] };
  let violations: readonly Violation[] = [];
  let timeline: readonly TimelineEntry[] = [];
  for (const candidate of list) {
    try {
      const verdict = await checkSchedule(target, workload, candidate, { ...simulateOptions, record: true });
      if (verdict.violations.length === 0) continue;
      violations = verdict.violations;
      timeline = verdict.run.timeline;
    } catch (error) {
      violations = [{ property: 'invariant', name: 'uncaught error', detail: describeError(error) }];
    }
    schedule = candidate;
    break;
  }
  return {
    ...base,
    failure: {
      replay,
      replayCommand: (options.replayCommand ?? ((token) => `troupe fuzz --replay '${token}'`))(replay),
      path,
      workload,
      schedule,
      flows: target.flows(workload),
      violations,
      timeline,
      shrinks: details.numShrinks,
    },
  };
}

function scheduleOf(
  delays: readonly Fault[],
  interleave: number,
  own: { readonly faults: readonly Fault[] },
): Schedule {
  return { faults: [...delays, ...own.faults], ...(interleave ? { interleave } : {}) };
}

/** Like `fuzzSimulation`, but throws a `FuzzViolationError` (report as `cause`) when a property breaks. */
export async function assertFuzzSimulation<W>(
  target: SimTarget<W>,
  options: FuzzSimulationOptions = {},
): Promise<FuzzReport<W>> {
  const report = await fuzzSimulation(target, options);
  if (report.failure) throw new FuzzViolationError(report);
  return report;
}

/** Parses a `<seed>:<path>` replay token. */
export function parseReplayToken(token: string): { seed: number; path: string } {
  const match = /^(-?\d+):([\d:]*)$/.exec(token.trim());
  if (!match) {
    throw Object.assign(
      new Error(`Invalid replay token "${token}": expected "<seed>:<path>", e.g. "42:3:0:1"`),
      {
        code: 'invalid-replay-token',
      },
    );
  }
  return { seed: Number(match[1]), path: match[2] ?? '' };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
