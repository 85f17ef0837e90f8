import { INJECTED_HEADER } from '../../observe/injected-message';
import { tapBindings, type ObservedExchange } from '../../observe/system-tap';
import type { Delivery, Subscription, Transport } from '../../transport/transport';
import type { SeededRandom } from '../_internals/seeded-random';

/**
 * Header marking a copy the chaos published, so it never copies its own copies. Copies also carry
 * `x-troupe-injected: chaos`: they are Troupe's, never counted as the system's publications.
 */
export const CHAOS_HEADER = 'x-troupe-chaos';

/** How much chaos. */
export interface BrokerChaosOptions {
  /** Share of messages that get duplicated (default 0.1). */
  readonly duplicateRate?: number;
  /** Copies per duplicated message: 1..maxCopies (default 2). */
  readonly maxCopies?: number;
  /** Delayed copies wait 1..maxDelayMs (default 300). */
  readonly maxDelayMs?: number;
  /** Held-back copies are released in reverse order once this many are held (default 5). */
  readonly holdBatch?: number;
}

/** What the chaos did. */
export interface BrokerChaosStats {
  /** Original messages seen. */
  observed: number;
  /** Copies re-published at once. */
  immediate: number;
  /** Copies re-published after a delay. */
  delayed: number;
  /** Copies held back and released out of order. */
  heldBack: number;
  /** Re-publications that failed (e.g. during a broker restart). */
  failed: number;
}

/** A running man-in-the-middle. */
export interface StartedBrokerChaos {
  readonly queue: string;
  readonly stats: Readonly<BrokerChaosStats>;
  /** Releases everything held and waits (bounded) for every copy to be published; false on timeout. */
  drain(timeoutMs?: number): Promise<boolean>;
  /** Whether copies are still waiting (held or delayed). */
  pending(): number;
  stop(): Promise<void>;
}

/**
 * Duplicates messages on a live exchange, the way an at-least-once broker may: a durable queue bound to the
 * exchange the way its type requires (`tapBindings`: topic `#`, fanout/headers `''`, direct per key; the exchange
 * is never declared) sees every message; a seeded share of them is re-published with the same body, ids and
 * headers — at once, after a delay (so a copy arrives after later events), or held back and released in reverse
 * order. Consumers thus get duplicates, out of order, from the real broker. The queue is durable (quorum) so chaos
 * survives a restart. `exchange` as a bare name means a topic exchange (what the shop uses).
 */
export async function startBrokerChaos(options: {
  readonly transport: Transport;
  readonly exchange: string | ObservedExchange;
  readonly queue: string;
  readonly random: SeededRandom;
  readonly chaos?: BrokerChaosOptions;
}): Promise<StartedBrokerChaos> {
  const { transport, queue, random } = options;
  const observed: ObservedExchange =
    typeof options.exchange === 'string' ? { name: options.exchange, type: 'topic' } : options.exchange;
  const exchange = observed.name;
  const bindings = tapBindings(observed);
  if (bindings === undefined) {
    throw new RangeError(
      `startBrokerChaos: direct exchange "${exchange}" needs its routing keys (routingKeys) to be bound to`,
    );
  }
  const rate = options.chaos?.duplicateRate ?? 0.1;
  const maxCopies = Math.max(1, options.chaos?.maxCopies ?? 2);
  const maxDelayMs = Math.max(1, options.chaos?.maxDelayMs ?? 300);
  const holdBatch = Math.max(2, options.chaos?.holdBatch ?? 5);
  const stats: BrokerChaosStats = { observed: 0, immediate: 0, delayed: 0, heldBack: 0, failed: 0 };
  let held: Delivery[] = [];
  let draining = false;
  let inFlight = 0;
  let idle: (() => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const settle = (): void => {
    inFlight--;
    if (inFlight === 0 && held.length === 0) {
      const waiters = idle;
      idle = [];
      for (const resolve of waiters) resolve();
    }
  };
  const republish = (delivery: Delivery, kind: string): void => {
    inFlight++;
    transport
      .publish(exchange, {
        routingKey: delivery.routingKey,
        body: delivery.body,
        headers: { ...delivery.headers, [CHAOS_HEADER]: kind, [INJECTED_HEADER]: 'chaos' },
        ...(delivery.messageId !== undefined ? { messageId: delivery.messageId } : {}),
        ...(delivery.correlationId !== undefined ? { correlationId: delivery.correlationId } : {}),
        ...(delivery.type !== undefined ? { type: delivery.type } : {}),
        ...(delivery.contentType !== undefined ? { contentType: delivery.contentType } : {}),
      })
      .catch(() => {
        stats.failed++;
      })
      .finally(settle);
  };
  const release = (): void => {
    const batch = held.reverse();
    held = [];
    for (const delivery of batch) republish(delivery, 'held-back');
  };

  // The exchange is not listed: it is bound to as it exists, never (re)declared with a type of our choosing.
  await transport.declare({ exchanges: [], queues: [{ name: queue, exchange, bindings, kind: 'quorum' }] });
  const subscription: Subscription = await transport.consume(
    queue,
    (delivery) => {
      if (delivery.headers[CHAOS_HEADER] !== undefined || delivery.redelivered) return Promise.resolve('ack');
      stats.observed++;
      if (!random.chance(rate)) return Promise.resolve('ack');
      const copies = random.int(1, maxCopies);
      for (let i = 0; i < copies; i++) {
        const roll = random.next();
        if (roll < 0.4) {
          stats.immediate++;
          republish(delivery, 'duplicate');
        } else if (roll < 0.8) {
          stats.delayed++;
          inFlight++;
          const timer = setTimeout(
            () => {
              timers.delete(timer);
              republish(delivery, 'delayed');
              settle();
            },
            random.int(1, maxDelayMs),
          );
          timers.add(timer);
        } else {
          stats.heldBack++;
          held.push(delivery);
          // While draining, nothing may stay held: a late message would wait forever for its batch.
          if (held.length >= holdBatch || draining) release();
        }
      }
      return Promise.resolve('ack');
    },
    { prefetch: 100 },
  );

  return {
    queue,
    stats,
    pending: () => inFlight + held.length,
    async drain(timeoutMs = 30_000) {
      draining = true;
      release();
      if (inFlight === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        new Promise<boolean>((resolve) => idle.push(() => resolve(true))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      return drained;
    },
    async stop() {
      await subscription.close();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
