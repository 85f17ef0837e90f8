import type { ObservedEvent, ServiceOf } from '../observe/observed-event';
import { renderTimeline } from '../observe/render-timeline';

/** Stable codes of assertion failures. */
export type AssertionCode =
  | 'timeout' // the awaited thing did not happen within the deadline
  | 'forbidden-event' // never(type) saw the type
  | 'condition-violated' // holdsFor's condition became false inside the window
  | 'not-exactly-once' // exactlyOnce saw 0 or more than 1
  | 'not-quiescent' // activity did not stop before the deadline
  | 'invalid-argument';

/** Everything a failure reports; `formatAssertionFailure` renders it. */
export interface AssertionFailure {
  readonly code: AssertionCode;
  /** The expectation, in words: `flow 0191… to reach ShipmentScheduled within 2000 ms`. */
  readonly expectation: string;
  /** How long the assertion waited before deciding, ms. */
  readonly waitedMs: number;
  /** What was expected next (the missing event or step), when there is one. */
  readonly expectedNext?: string | undefined;
  /** What happened instead, when something specific did. */
  readonly observed?: string | undefined;
  /** Everything observed for the correlation (or the log), rendered as the timeline. */
  readonly events: readonly ObservedEvent[];
  readonly correlationId?: string | undefined;
  readonly serviceOf?: ServiceOf | undefined;
}

/** Renders a failure: expectation, waited time, what was expected next, what was observed, and the timeline. */
export function formatAssertionFailure(failure: AssertionFailure): string {
  const lines = [
    `Expected ${failure.expectation}`,
    `  failed (${failure.code}) after waiting ${failure.waitedMs.toFixed(0)} ms`,
  ];
  if (failure.expectedNext !== undefined) lines.push(`  expected next: ${failure.expectedNext}`);
  if (failure.observed !== undefined) lines.push(`  observed: ${failure.observed}`);
  const scope = failure.correlationId === undefined ? 'the log' : `correlation ${failure.correlationId}`;
  const count = failure.events.length;
  lines.push(
    renderTimeline(failure.events, {
      title: `Timeline of ${scope} (${count} ${count === 1 ? 'delivery' : 'deliveries'}):`,
      ...(failure.serviceOf ? { serviceOf: failure.serviceOf } : {}),
    }),
  );
  return lines.join('\n');
}

/**
 * A failed eventual-consistency assertion. `code` is stable; `failure` has the structured details; the message is
 * the rendered failure including the timeline; `cause` is the last probe error, when there was one.
 */
export class FlowAssertionError extends Error {
  readonly code: AssertionCode;
  readonly failure: AssertionFailure;
  constructor(failure: AssertionFailure, options?: { readonly cause?: unknown }) {
    super(
      formatAssertionFailure(failure),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'FlowAssertionError';
    this.code = failure.code;
    this.failure = failure;
  }
}

/** Thrown for a malformed assertion (negative window, empty chain): a programming error, not a failed flow. */
export function invalidArgument(message: string): FlowAssertionError {
  return new FlowAssertionError({ code: 'invalid-argument', expectation: message, waitedMs: 0, events: [] });
}
