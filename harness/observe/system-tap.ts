import { randomBytes } from 'node:crypto';
import type { EnvelopeAdapter } from '../events/envelope-adapter';
import type { RabbitmqctlOptions } from '../transport/amqp/rabbitmqctl';
import type { ExchangeType, Subscription, Transport } from '../transport/transport';
import { EventLog } from './event-log';
import { startFirehoseTap, type StartedFirehoseTap } from './firehose-tap';
import { ObserveError } from './observe-error';
import { recordingHandler } from './tap';

/** An exchange to observe, with its type (as the broker has it). */
export interface ObservedExchange {
  readonly name: string;
  readonly type: ExchangeType;
  /** direct exchanges: the routing keys to bind; without them the firehose observes the exchange. */
  readonly routingKeys?: readonly string[];
}

/**
 * How a tap queue binds to an exchange so that it gets *every* message published to it, by type: topic `#`;
 * fanout `''`; headers `''` without arguments (`x-match` all of nothing matches every message); direct one binding
 * per known routing key. Undefined for a direct exchange whose keys are unknown: only the firehose sees all of it.
 */
export function tapBindings(exchange: ObservedExchange): readonly string[] | undefined {
  switch (exchange.type) {
    case 'topic':
      return ['#'];
    case 'fanout':
    case 'headers':
      return [''];
    case 'direct':
      return exchange.routingKeys && exchange.routingKeys.length > 0 ? exchange.routingKeys : undefined;
  }
}

export interface SystemTapOptions {
  /** An AMQP transport (the firehose is RabbitMQ's); on a connection nothing cuts. */
  readonly transport: Transport;
  readonly exchanges: readonly ObservedExchange[];
  /** Queues the system sends to straight through the default exchange: seen through the firehose. */
  readonly directQueues?: readonly string[];
  readonly adapter?: EnvelopeAdapter;
  readonly log?: EventLog;
  /** Queue name prefix; default `troupe.tap.<random>`. */
  readonly queuePrefix?: string;
  /**
   * `classic` (default): exclusive queues that vanish with the tap. `quorum`: durable queues that survive a broker
   * restart (soak runs); the caller deletes `queues` after `stop()`.
   */
  readonly kind?: 'classic' | 'quorum';
  readonly prefetch?: number;
  /** For the firehose: vhost and rabbitmqctl. */
  readonly vhost?: string;
  readonly rabbitmqctl?: RabbitmqctlOptions;
}

/** A running tap over a whole system. */
export interface StartedSystemTap {
  readonly log: EventLog;
  /** The tap's own queues (one per exchange it binds to). */
  readonly queues: readonly string[];
  /** Exchanges observed through the firehose instead of a binding (direct without keys), and `''` for queues. */
  readonly viaFirehose: readonly string[];
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Records every message the system publishes — one record per publication — into one `EventLog`: a queue bound
 * to each exchange the way its type requires (`tapBindings`), never redeclaring the exchange; the firehose for
 * direct exchanges without known keys and for messages sent straight to `directQueues`. Armed and confirmed
 * before it resolves, so nothing published afterwards slips past.
 */
export async function startSystemTap(options: SystemTapOptions): Promise<StartedSystemTap> {
  const log = options.log ?? (options.adapter ? new EventLog({ adapter: options.adapter }) : undefined);
  if (!log) throw new ObserveError('invalid-argument', 'startSystemTap: pass an `adapter` (or a `log`)');
  if (options.exchanges.length === 0 && (options.directQueues ?? []).length === 0) {
    throw new ObserveError('invalid-argument', 'startSystemTap: observe at least one exchange or queue');
  }
  const prefix = options.queuePrefix ?? `troupe.tap.${randomBytes(4).toString('hex')}`;
  const kind = options.kind ?? 'classic';
  const subscriptions: Subscription[] = [];
  const queues: string[] = [];
  const firehoseExchanges: string[] = [];
  let firehose: StartedFirehoseTap | undefined;
  const stop = async (): Promise<void> => {
    await Promise.allSettled(subscriptions.map((subscription) => subscription.close()));
    await firehose?.stop().catch(() => undefined);
  };
  try {
    for (const [index, exchange] of options.exchanges.entries()) {
      const bindings = tapBindings(exchange);
      if (bindings === undefined) {
        firehoseExchanges.push(exchange.name);
        continue;
      }
      const queue = `${prefix}.${index}`;
      // The exchange is not listed in `exchanges`: the transport binds to it as it is and never redeclares it.
      await options.transport.declare({
        exchanges: [],
        queues: [
          kind === 'quorum'
            ? { name: queue, exchange: exchange.name, bindings, kind: 'quorum' }
            : { name: queue, exchange: exchange.name, bindings, kind: 'classic', exclusive: true },
        ],
      });
      queues.push(queue);
      subscriptions.push(
        await options.transport.consume(queue, recordingHandler(log), { prefetch: options.prefetch ?? 500 }),
      );
    }
    const directQueues = new Set(options.directQueues ?? []);
    if (firehoseExchanges.length > 0 || directQueues.size > 0) {
      const watched = new Set(firehoseExchanges);
      firehose = await startFirehoseTap({
        transport: options.transport,
        log,
        queues: [],
        publishesTo: [...firehoseExchanges, ...(directQueues.size > 0 ? [''] : [])],
        ...(options.vhost !== undefined ? { vhost: options.vhost } : {}),
        ...(options.rabbitmqctl ? { rabbitmqctl: options.rabbitmqctl } : {}),
        // The default exchange carries everyone's sendToQueue on the vhost: keep the system's queues only.
        accept: (delivery) =>
          (delivery.exchange ?? '') === ''
            ? directQueues.has(delivery.routingKey)
            : watched.has(delivery.exchange ?? ''),
      });
    }
  } catch (error) {
    await stop();
    throw new ObserveError('tap-failed', `startSystemTap: could not observe the system: ${describe(error)}`, {
      cause: error,
    });
  }
  const viaFirehose = [...firehoseExchanges, ...((options.directQueues ?? []).length > 0 ? [''] : [])];
  let stopped: Promise<void> | undefined;
  const stopOnce = (): Promise<void> => (stopped ??= stop());
  return { log, queues, viaFirehose, stop: stopOnce, [Symbol.asyncDispose]: stopOnce };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
