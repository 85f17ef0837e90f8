import type { EventIdentity } from '../events/envelope-adapter';
import { normalizeGenerated } from './_internals/normalize';
import { cleanScheduleOf, type Schedule } from './schedule';
import type { SimTarget } from './sim-target';
import { simulate, type SimRun, type SimulateOptions } from './simulate';

/** Which property a violation breaks. */
export type PropertyName = 'idempotency' | 'invariant' | 'convergence';

/** One broken property, with what and where. */
export interface Violation {
  readonly property: PropertyName;
  /** The invariant's name, or what part of the property broke. */
  readonly name: string;
  readonly detail: string;
}

/** A schedule's run, its clean baseline and what they broke. */
export interface ScheduleVerdict {
  readonly run: SimRun;
  readonly violations: readonly Violation[];
}

/** A clean run with its normalised signatures, computed once. */
export interface Baseline {
  readonly run: SimRun;
  readonly events: readonly string[];
  /** Normalised state, per top-level key when the state is an object. */
  readonly state: ReadonlyMap<string, string>;
}

/** Caches clean runs: several schedules share a workload, and shrinking revisits the same ones many times. */
export type BaselineCache = Map<string, Baseline>;

/**
 * Runs `schedule` and checks the three properties:
 * (a) idempotency — final state and the multiset of emitted events (ids, times ignored) equal those of the clean
 *     run (the same workload and reordering, without duplicates, lost acks or crashes);
 * (b) the target's invariants;
 * (c) convergence — the run quiesces (and, through `invariant.exactlyOne(...)`, every flow ends).
 * (a) is checked when the workload has one flow, or when the run is sequential (`interleave` 0) and its faults
 * only duplicate, redeliver or crash: interleaved flows, and flows a retry backoff or a late confirm has
 * reordered, may legitimately end differently from the clean run (which of two orders gets the last unit), so
 * there only (b) and (c) judge.
 */
export async function checkSchedule<W>(
  target: SimTarget<W>,
  workload: W,
  schedule: Schedule,
  options: SimulateOptions & { readonly baselines?: BaselineCache } = {},
): Promise<ScheduleVerdict> {
  const run = await simulate(target, workload, schedule, options);
  const violations: Violation[] = [];
  const flows = target.flows(workload);
  if (!run.quiesced) {
    violations.push({
      property: 'convergence',
      name: 'quiescence',
      detail: `still delivering after ${run.steps} steps (livelock or requeue loop)`,
    });
  }
  for (const inv of target.invariants) {
    for (const detail of inv.check({ events: run.events, flows, state: run.state })) {
      violations.push({ property: 'invariant', name: inv.name, detail });
    }
  }
  const clean = cleanScheduleOf(schedule);
  const comparable =
    flows.length <= 1 ||
    (!schedule.interleave && schedule.faults.every((fault) => orderKeeping.has(fault.kind)));
  if (comparable && clean.faults.length !== schedule.faults.length) {
    if (run.faultsApplied === 0) {
      // No fault took effect (they aimed at messages this run never had): the run is the clean one itself.
      remember(options.baselines, workload, clean, run);
    } else {
      const baseline = await baselineOf(target, workload, clean, options);
      violations.push(...compareRuns(run, baseline));
    }
  }
  return { run, violations };
}

/** Faults after which a sequential run still meets the flows in the clean run's order. */
const orderKeeping: ReadonlySet<string> = new Set(['delay', 'duplicate', 'redeliver', 'crash']);

async function baselineOf<W>(
  target: SimTarget<W>,
  workload: W,
  clean: Schedule,
  options: SimulateOptions & { readonly baselines?: BaselineCache },
): Promise<Baseline> {
  const cached = options.baselines?.get(baselineKey(workload, clean));
  if (cached) return cached;
  const run = await simulate(target, workload, clean, options.maxSteps ? { maxSteps: options.maxSteps } : {});
  return remember(options.baselines, workload, clean, run);
}

/** Workloads as JSON: one workload object is checked under several schedules. */
const workloadKeys = new WeakMap<object, string>();

function baselineKey(workload: unknown, clean: Schedule): string {
  let key = typeof workload === 'object' && workload !== null ? workloadKeys.get(workload) : undefined;
  if (key === undefined) {
    key = JSON.stringify(workload) ?? 'undefined';
    if (typeof workload === 'object' && workload !== null) workloadKeys.set(workload, key);
  }
  return `${key}\u0000${JSON.stringify(clean)}`;
}

/** Keeps `run` as the clean run of (`workload`, `clean`); its signatures are computed when first compared. */
function remember(
  cache: BaselineCache | undefined,
  workload: unknown,
  clean: Schedule,
  run: SimRun,
): Baseline {
  let events: readonly string[] | undefined;
  let state: ReadonlyMap<string, string> | undefined;
  const baseline: Baseline = {
    run,
    get events() {
      return (events ??= eventSignatures(run.events));
    },
    get state() {
      return (state ??= stateSignatures(run.state));
    },
  };
  if (cache) {
    if (cache.size > 1_000) cache.clear();
    cache.set(baselineKey(workload, clean), baseline);
  }
  return baseline;
}

/** Idempotency: the faulty run must end like the clean one. */
export function compareRuns(run: SimRun, clean: Baseline): Violation[] {
  const violations: Violation[] = [];
  const mine = eventSignatures(run.events);
  const theirs = clean.events;
  const extra = multisetMinus(mine, theirs);
  const missing = multisetMinus(theirs, mine);
  if (extra.length > 0 || missing.length > 0) {
    const parts = [
      ...(extra.length > 0 ? [`extra: ${summarize(extra)}`] : []),
      ...(missing.length > 0 ? [`missing: ${summarize(missing)}`] : []),
    ];
    violations.push({
      property: 'idempotency',
      name: 'emitted events',
      detail: `${parts.join('; ')} (compared with the clean run)`,
    });
  }
  const state = stateSignatures(run.state);
  for (const key of new Set([...state.keys(), ...clean.state.keys()])) {
    const mine = state.get(key) ?? 'null';
    const theirs = clean.state.get(key) ?? 'null';
    if (mine === theirs) continue;
    const sizes = `${describeSize(partOf(run.state, key))} vs ${describeSize(partOf(clean.run.state, key))} in the clean run`;
    violations.push({
      property: 'idempotency',
      name: 'final state',
      detail: `${key || 'state'}: ${sizes}; ${firstDifference(mine, theirs)}`,
    });
  }
  if (run.deadLettered > clean.run.deadLettered) {
    violations.push({
      property: 'idempotency',
      name: 'dead letters',
      detail: `${run.deadLettered} dead-lettered, the clean run ${clean.run.deadLettered}`,
    });
  }
  return violations;
}

function stateSignatures(state: unknown): Map<string, string> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    return new Map([['', normalizeGenerated(state)]]);
  }
  const record = state as Record<string, unknown>;
  return new Map(Object.keys(record).map((key) => [key, normalizeGenerated(record[key])]));
}

function partOf(state: unknown, key: string): unknown {
  return key === '' || typeof state !== 'object' || state === null
    ? state
    : (state as Record<string, unknown>)[key];
}

function describeSize(value: unknown): string {
  return Array.isArray(value) ? `${value.length} record(s)` : 'a different value';
}

function eventSignatures(events: readonly EventIdentity[]): string[] {
  return events.map((event) => `${event.eventType} ${normalizeGenerated(event.payload)}`);
}

function multisetMinus(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const item of b) counts.set(item, (counts.get(item) ?? 0) + 1);
  const result: string[] = [];
  for (const item of a) {
    const n = counts.get(item) ?? 0;
    if (n > 0) counts.set(item, n - 1);
    else result.push(item);
  }
  return result;
}

function summarize(signatures: readonly string[]): string {
  const byType = new Map<string, number>();
  for (const signature of signatures) {
    const type = signature.slice(0, signature.indexOf(' '));
    byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  return [...byType].map(([type, n]) => `${n} × ${type}`).join(', ');
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 50);
  return `first difference: …${a.slice(from, i + 50)}… vs clean …${b.slice(from, i + 50)}…`;
}
