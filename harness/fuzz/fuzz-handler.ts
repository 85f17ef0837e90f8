import fc from 'fast-check';
import { normalize, uuidsIn } from './_internals/normalize';

/** A fresh handler over fresh state, made once per schedule. */
export interface HandlerUnderTest<S, E> {
  /** May return a promise (awaited). */
  handle(event: E): unknown;
  /** The state to check (what the handler's service would have committed). */
  state(): S | Promise<S>;
}

/** Options of `fuzzHandler`. */
export interface FuzzHandlerOptions<S, E> {
  /** Builds a fresh handler and state for every schedule (a new in-memory repository, a truncated table…). */
  readonly setup: () => HandlerUnderTest<S, E> | Promise<HandlerUnderTest<S, E>>;
  /** The events a producer sends; each is delivered at least once. */
  readonly events: readonly E[];
  /**
   * Must hold after any schedule: return nothing/true, or false/a message, or throw (e.g. `expect(...)`); may be
   * async (awaited). Use it for order-independent facts ("balance = sum of distinct deposits", "never negative").
   */
  readonly invariant?: (state: S, events: readonly E[]) => unknown;
  /**
   * Idempotency (default true): the final state must equal the state after delivering the same events once each,
   * in the same order of first arrival. Duplicates must change nothing.
   */
  readonly idempotent?: boolean;
  /** Also reorder deliveries (default true). */
  readonly reorder?: boolean;
  /** Most extra copies in one schedule (default 6). */
  readonly maxDuplicates?: number;
  /** Schedules to try (default 100). */
  readonly runs?: number;
  /** Printed on failure; pass it (with `path`) to replay. */
  readonly seed?: number;
  readonly path?: string;
  /** How to print an event in a failure report (default JSON, shortened). */
  readonly describe?: (event: E, index: number) => string;
}

/** A delivery schedule over `events`: order (priorities, shrinking to the given order) and extra copies. */
interface HandlerSchedule {
  readonly priorities: readonly number[];
  readonly duplicates: readonly { readonly event: number; readonly after: number }[];
}

/** Thrown by `fuzzHandler`: the message has the seed, path, minimal schedule and the problem. */
export class HandlerFuzzError extends Error {
  readonly code = 'handler-fuzz-violation';
  readonly seed: number;
  readonly path: string;
  readonly deliveries: readonly number[];
  constructor(
    message: string,
    details: { seed: number; path: string; deliveries: readonly number[]; cause: unknown },
  ) {
    super(message, { cause: details.cause });
    this.name = 'HandlerFuzzError';
    this.seed = details.seed;
    this.path = details.path;
    this.deliveries = details.deliveries;
  }
}

/**
 * Fuzzes one consumer's handler against at-least-once delivery — duplicates and reordering — in a handful of
 * lines, inside any Jest (or other) test:
 * ```ts
 * await fuzzHandler({
 *   setup: () => { const ledger = new Ledger(); return { handle: (e) => ledger.apply(e), state: () => ledger.balance } },
 *   events: [deposit(10), deposit(5), withdraw(3)],
 *   invariant: (balance) => balance >= 0,
 * });
 * ```
 * Throws a `HandlerFuzzError` with the shrunk schedule and a replay seed/path when a property breaks.
 */
export async function fuzzHandler<S, E>(
  options: FuzzHandlerOptions<S, E>,
): Promise<{ runs: number; seed: number }> {
  const { events } = options;
  if (events.length === 0) throw new RangeError('fuzzHandler: `events` must not be empty');
  const n = events.length;
  const seed = options.seed ?? (Date.now() ^ (process.pid << 16)) | 0;
  const runs = options.runs ?? 100;
  const reorder = options.reorder ?? true;
  const stable = uuidsIn(events);
  const show = options.describe ?? ((event: E) => shorten(JSON.stringify(event) ?? String(event)));
  const schedules: fc.Arbitrary<HandlerSchedule> = fc.record({
    priorities: reorder
      ? fc.array(fc.nat({ max: n }), { minLength: n, maxLength: n })
      : fc.constant(new Array<number>(n).fill(0)),
    duplicates: fc.array(fc.record({ event: fc.nat({ max: n - 1 }), after: fc.nat({ max: n * 2 }) }), {
      maxLength: options.maxDuplicates ?? 6,
    }),
  });
  const problems = new Map<string, string>();
  const property = fc.asyncProperty(schedules, async (schedule) => {
    const { deliveries, firstOrder } = plan(schedule, n);
    const problem = await check(options, deliveries, firstOrder, stable);
    if (problem) {
      problems.set(JSON.stringify(schedule), problem);
      throw new Error(problem);
    }
  });
  const details = await fc.check(property, {
    seed,
    numRuns: runs,
    ...(options.path !== undefined ? { path: options.path, endOnFailure: true } : {}),
  });
  if (!details.failed || !details.counterexample) return { runs: details.numRuns, seed };
  const [schedule] = details.counterexample;
  const { deliveries } = plan(schedule, n);
  const path = details.counterexamplePath ?? '';
  const problem = problems.get(JSON.stringify(schedule)) ?? String(details.errorInstance);
  const seen = new Set<number>();
  const lines = deliveries.map((index, step) => {
    const again = seen.has(index);
    seen.add(index);
    return `  ${String(step + 1).padStart(3)}. event #${index}${again ? ' (again)' : ''}: ${show(events[index] as E, index)}`;
  });
  throw new HandlerFuzzError(
    [
      `fuzzHandler: ${problem}`,
      `after ${details.numRuns} schedule(s), shrunk ${details.numShrinks} time(s); seed ${seed}, path ${path}`,
      `replay: fuzzHandler({ ..., seed: ${seed}, path: '${path}' })`,
      'minimal delivery schedule:',
      ...lines,
    ].join('\n'),
    { seed, path, deliveries, cause: details.errorInstance },
  );
}

/** Turns a schedule into the delivery sequence and the order of first arrivals. */
function plan(schedule: HandlerSchedule, n: number): { deliveries: number[]; firstOrder: number[] } {
  const firstOrder = Array.from({ length: n }, (_, index) => index).sort(
    (a, b) => (schedule.priorities[a] ?? 0) - (schedule.priorities[b] ?? 0) || a - b,
  );
  const deliveries = [...firstOrder];
  // A copy arrives after its original: insert it at least one position after the original's first delivery.
  for (const duplicate of schedule.duplicates) {
    const original = deliveries.indexOf(duplicate.event);
    const at = Math.min(deliveries.length, original + 1 + duplicate.after);
    deliveries.splice(at, 0, duplicate.event);
  }
  return { deliveries, firstOrder };
}

async function check<S, E>(
  options: FuzzHandlerOptions<S, E>,
  deliveries: readonly number[],
  firstOrder: readonly number[],
  stable: ReadonlySet<string>,
): Promise<string | undefined> {
  const state = await runDeliveries(options, deliveries);
  if (options.invariant) {
    let verdict: unknown;
    try {
      // Awaited: an async invariant's rejection must fail the schedule, not float away unhandled.
      verdict = await options.invariant(state, options.events);
    } catch (error) {
      return `invariant failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (verdict === false) return 'invariant returned false';
    if (typeof verdict === 'string') return `invariant: ${verdict}`;
  }
  if (options.idempotent ?? true) {
    const clean = await runDeliveries(options, firstOrder);
    const a = normalize(state, stable);
    const b = normalize(clean, stable);
    if (a !== b)
      return `not idempotent: final state ${shorten(a)} differs from the state after one delivery each ${shorten(b)}`;
  }
  return undefined;
}

async function runDeliveries<S, E>(
  options: FuzzHandlerOptions<S, E>,
  deliveries: readonly number[],
): Promise<S> {
  const handler = await options.setup();
  for (const index of deliveries) await handler.handle(options.events[index] as E);
  return handler.state();
}

function shorten(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
