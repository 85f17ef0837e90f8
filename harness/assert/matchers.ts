import { FlowAssertionError } from './assertion-error';
import {
  Flow,
  type DuringOptions,
  type ExactlyOnceOptions,
  type QuiescentOptions,
  type WithinOptions,
} from './flow';

/** What a matcher returns to Jest. */
interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

interface MatcherContext {
  readonly isNot?: boolean | undefined;
}

/**
 * Jest matchers over a `Flow`. Install once per test file (or in a setup file):
 * `expect.extend(flowMatchers)`; then `await expect(flow(log, id)).toEventuallyEmit('ShipmentScheduled', { within: 5000 })`.
 * Their types on `expect(…)` come with `troupe/jest` (harness/jest.ts) or `troupe/vitest` (harness/vitest.ts).
 */
export const flowMatchers = {
  toEventuallyEmit(this: MatcherContext, received: unknown, type: string, options: WithinOptions) {
    return settle(this, received, 'toEventuallyEmit', (f) => f.toReach(type, options));
  },
  toEventuallyFollowChain(
    this: MatcherContext,
    received: unknown,
    types: readonly string[],
    options: WithinOptions,
  ) {
    return settle(this, received, 'toEventuallyFollowChain', (f) => f.toFollowChain(types, options));
  },
  toNeverEmit(this: MatcherContext, received: unknown, type: string, options: DuringOptions) {
    return settle(this, received, 'toNeverEmit', (f) => f.never(type, options));
  },
  toEmitExactlyOnce(this: MatcherContext, received: unknown, type: string, options: ExactlyOnceOptions) {
    return settle(this, received, 'toEmitExactlyOnce', (f) => f.exactlyOnce(type, options));
  },
  toBecomeQuiescent(this: MatcherContext, received: unknown, options: QuiescentOptions) {
    return settle(this, received, 'toBecomeQuiescent', (f) => f.quiescent(options));
  },
};

async function settle(
  context: MatcherContext,
  received: unknown,
  name: string,
  run: (flow: Flow) => Promise<unknown>,
): Promise<MatcherResult> {
  if (!(received instanceof Flow)) {
    throw new TypeError(
      `${name}: expected a Flow (from flow(log, correlationId)), received ${describe(received)}`,
    );
  }
  if (context.isNot === true) {
    // `.not.toEventuallyEmit` would be a timeout in disguise; the real negative is a window.
    throw new TypeError(
      `${name}: .not is not supported; use toNeverEmit(type, { during }) for a real window`,
    );
  }
  try {
    await run(received);
    return { pass: true, message: () => `${name} passed for flow ${received.correlationId}` };
  } catch (error) {
    if (error instanceof FlowAssertionError) return { pass: false, message: () => error.message };
    throw error;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/** The matchers' types on `expect(…)` (the matchers themselves check that the received value is a Flow). */
export interface FlowMatchers<R> {
  /** Resolves when the flow emits `type` within the deadline (push-based). */
  toEventuallyEmit(type: string, options: WithinOptions): Promise<R>;
  /** Resolves when the flow contains the causal chain `types`, each caused by the previous. */
  toEventuallyFollowChain(types: readonly string[], options: WithinOptions): Promise<R>;
  /** Watches the flow for `during` ms; fails as soon as `type` is observed. */
  toNeverEmit(type: string, options: DuringOptions): Promise<R>;
  /** `type` is emitted, then not again for `settle` ms. */
  toEmitExactlyOnce(type: string, options: ExactlyOnceOptions): Promise<R>;
  /** Nothing in flight (or idle `idleFor`) before `within`. */
  toBecomeQuiescent(options: QuiescentOptions): Promise<R>;
}
