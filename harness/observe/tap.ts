import { randomBytes } from 'node:crypto';
import type { EnvelopeAdapter } from '../events/envelope-adapter';
import type { Delivery, DeliveryHandler, Subscription, Transport } from '../transport/transport';
import { EventLog } from './event-log';
import { ObserveError } from './observe-error';
import { closed, opened } from '../_internals/open-resources';

export interface TapOptions {
  /** Any Transport (AMQP for a real broker, in-memory for simulation). */
  readonly transport: Transport;
  /** The exchange the services publish to. */
  readonly exchange: string;
  /** How to read messages; required unless `log` is given (the log carries its adapter). */
  readonly adapter?: EnvelopeAdapter;
  /** Record into this log (e.g. shared by several taps); a new one is created otherwise. */
  readonly log?: EventLog;
  /** Routing-key patterns to bind with; default `['#']` (everything). */
  readonly bindings?: readonly string[];
  /** Queue name; default `troupe.tap.<exchange>.<random>`. */
  readonly queue?: string;
  /** Type of the exchange, declared if missing; default `topic`. */
  readonly exchangeType?: 'topic' | 'fanout' | 'direct';
  /** Unacked deliveries the tap may hold; default 500 (the tap only records, then acks). */
  readonly prefetch?: number;
  /** A log listener threw while recording (the delivery is still recorded and acked). Default: stderr. */
  readonly onError?: (error: unknown) => void;
}

/** A running tap: its log, its queue, and how to stop it (`await using tap = await startTap(…)`). */
export interface StartedTap {
  readonly log: EventLog;
  readonly queue: string;
  readonly exchange: string;
  /** Stops consuming; the exclusive queue goes away with the consumer. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Binds an exclusive classic queue to `exchange` with `#` and records every delivery into an `EventLog`. The tap
 * acks after recording and never filters or deduplicates: two publications of the same event are two records.
 */
export async function startTap(options: TapOptions): Promise<StartedTap> {
  const log = options.log ?? (options.adapter ? new EventLog({ adapter: options.adapter }) : undefined);
  if (!log) {
    throw new ObserveError('invalid-argument', 'startTap: pass an `adapter` (or a `log` that has one)');
  }
  if (!options.exchange) throw new ObserveError('invalid-argument', 'startTap: `exchange` is required');
  const queue = options.queue ?? `troupe.tap.${options.exchange}.${randomBytes(4).toString('hex')}`;
  const bindings = options.bindings ?? ['#'];
  let subscription: Subscription;
  try {
    await options.transport.declare({
      exchanges: [{ name: options.exchange, type: options.exchangeType ?? 'topic' }],
      queues: [{ name: queue, exchange: options.exchange, bindings, kind: 'classic', exclusive: true }],
    });
    subscription = await options.transport.consume(queue, recordingHandler(log, undefined, options.onError), {
      prefetch: options.prefetch ?? 500,
    });
  } catch (error) {
    throw new ObserveError('tap-failed', `Could not start a tap on exchange "${options.exchange}"`, {
      cause: error,
    });
  }
  let stopped: Promise<void> | undefined;
  const resource = { close: (): Promise<void> => (stopped ??= (closed(resource), subscription.close())) };
  opened(resource); // troupe/jest and troupe/vitest close a tap a test left open
  const stop = resource.close;
  return { log, queue, exchange: options.exchange, stop, [Symbol.asyncDispose]: stop };
}

/**
 * Wraps a consumer's handler so every delivery it gets — redeliveries with their flag and delivery tag included —
 * is recorded before the handler runs. Without `handler` it records and acks (what the tap does). Use it to watch
 * a service's own queue, where redeliveries happen. `onError` gets a listener's failure (default: stderr).
 */
export function recordingHandler(
  log: EventLog,
  handler?: DeliveryHandler,
  onError: (error: unknown) => void = reportToStderr,
): DeliveryHandler {
  return async (delivery: Delivery) => {
    try {
      log.record(delivery);
    } catch (error) {
      // A failing listener is the listener's problem: the delivery was recorded and must still be settled.
      onError(error);
    }
    return handler ? handler(delivery) : 'ack';
  };
}

function reportToStderr(error: unknown): void {
  console.error(error instanceof Error ? `${error.message}: ${String(error.cause)}` : error);
}
