/**
 * `npm run bench:assert`: latency from the publish of an awaited event to the assertion resolving, on the real
 * broker, for Troupe's push-based `flow(…).toReach(…)` against a 100 ms poll loop (the common default) measured
 * in the same run. Prints p50/p99 for both and their ratio; target: push p50 ≤ 5 ms.
 *
 * Options (env): BENCH_N (push samples, default 300), BENCH_POLL_N (poll samples, default 60), BENCH_SEED.
 */
import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { flow } from '../harness/assert/flow';
import { troupeEnvelopeAdapter } from '../harness/events/envelope-adapter';
import { newEventId } from '../harness/events/event-id';
import { startTap } from '../harness/observe/tap';
import type { EventLog } from '../harness/observe/event-log';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../harness/transport/amqp/amqp-transport';
import { connectionName } from '../harness/transport/amqp/connection-name';
import type { OutgoingMessage } from '../harness/transport/transport';

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const pushSamples = Number(process.env['BENCH_N'] ?? 300);
const pollSamples = Number(process.env['BENCH_POLL_N'] ?? 60);
const seed = Number(process.env['BENCH_SEED'] ?? Date.now() % 2 ** 31);
const POLL_MS = 100;
const exchange = `bench.assert.${randomBytes(4).toString('hex')}`;

/** mulberry32: a seeded PRNG so the poll phases can be replayed with BENCH_SEED. */
function prng(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function message(correlationId: string): OutgoingMessage {
  const eventId = newEventId();
  const body = {
    eventId,
    eventType: 'ShipmentScheduled',
    version: '1.0',
    timestamp: new Date().toISOString(),
    correlationId,
    causationId: newEventId(),
    payload: { orderId: correlationId },
  };
  return {
    routingKey: 'shipping.shipment.scheduled',
    body: Buffer.from(JSON.stringify(body)),
    messageId: eventId,
  };
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** The baseline: a loop checking the log every 100 ms, started at a random phase before the publish. */
async function pollUntil(log: EventLog, correlationId: string, deadline: number): Promise<void> {
  for (;;) {
    if (log.byCorrelation(correlationId).some((e) => e.identity?.eventType === 'ShipmentScheduled')) return;
    if (performance.now() > deadline) throw new Error(`poll: ${correlationId} not observed`);
    await sleep(POLL_MS);
  }
}

async function main(): Promise<void> {
  const random = prng(seed);
  // The observer has its own connection, as a test harness watching services would.
  const transport = new AmqpTransport({ url, connectionName: connectionName('bench-assert-publisher') });
  const observer = new AmqpTransport({ url, connectionName: connectionName('bench-assert-tap') });
  const admin = new Connection({ url, connectionName: connectionName('bench-assert-admin') });
  admin.on('error', () => undefined);
  await transport.connected();
  await observer.connected();
  const tap = await startTap({ transport: observer, exchange, adapter: troupeEnvelopeAdapter() });
  const push: number[] = [];
  const broker: number[] = [];
  const poll: number[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const id = newEventId();
      await transport.publish(exchange, message(id));
      await flow(tap.log, id).toReach('ShipmentScheduled', { within: 5000 });
    }
    for (let i = 0; i < pushSamples; i++) {
      const id = newEventId();
      let resolvedAt = 0;
      const awaited = flow(tap.log, id)
        .toReach('ShipmentScheduled', { within: 5000 })
        .then((event) => {
          resolvedAt = performance.now();
          return event;
        });
      const publishedAt = performance.now();
      const publishedEpoch = performance.timeOrigin + publishedAt;
      await transport.publish(exchange, message(id));
      const event = await awaited;
      push.push(resolvedAt - publishedAt);
      broker.push(event.receivedAt - publishedEpoch);
    }
    for (let i = 0; i < pollSamples; i++) {
      const id = newEventId();
      let resolvedAt = 0;
      const polling = pollUntil(tap.log, id, performance.now() + 5000).then(
        () => (resolvedAt = performance.now()),
      );
      await sleep(random() * POLL_MS); // the publish lands at a random phase of the poll period
      const publishedAt = performance.now();
      await transport.publish(exchange, message(id));
      await polling;
      poll.push(resolvedAt - publishedAt);
    }
  } finally {
    await tap.stop();
    await observer.close();
    await transport.close();
    await admin.exchangeDelete({ exchange });
    await admin.close();
  }
  const fmt = (n: number): string => `${n.toFixed(2)} ms`;
  console.log(`bench:assert on ${url.replace(/\/\/[^@]*@/, '//')} seed=${seed}`);
  console.log(
    `  publish → tap receive (broker path)   p50=${fmt(percentile(broker, 50))} p99=${fmt(percentile(broker, 99))} n=${broker.length}`,
  );
  console.log(
    `  push assertion (flow.toReach)         p50=${fmt(percentile(push, 50))} p99=${fmt(percentile(push, 99))} n=${push.length}`,
  );
  console.log(
    `  100 ms poll loop (baseline)           p50=${fmt(percentile(poll, 50))} p99=${fmt(percentile(poll, 99))} n=${poll.length}`,
  );
  const p50 = percentile(push, 50);
  console.log(
    `assert p50=${fmt(p50)} (target ≤ 5 ms: ${p50 <= 5 ? 'met' : 'MISSED'}); poll/push p50 ratio ${(percentile(poll, 50) / p50).toFixed(1)}×, ` +
      `p99 ratio ${(percentile(poll, 99) / percentile(push, 99)).toFixed(1)}×`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
