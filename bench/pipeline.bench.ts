/**
 * `npm run bench:pipeline`: N orders through all five reference services on RabbitMQ + PostgreSQL, and in the same
 * run the two baselines that bound it:
 *   (a) raw publish→consume msgs/s with the same client (AmqpTransport, publisher confirms, same prefetch);
 *   (b) PostgreSQL commits/s of the inbox + state + outbox transaction at the same concurrency.
 * Prints pipeline events/s and its ratio to min(a, b) (target ≥ 0.5).
 *
 * Options (env): BENCH_ORDERS (default 1000), BENCH_PREFETCH (default 32), BENCH_POOL (default 16),
 * BENCH_BASELINE_N (default 10000), BENCH_TIMEOUT_MS (default 300000: a pipeline that stalls fails instead of hanging),
 * AMQP_URL, DATABASE_URL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../harness/transport/amqp/amqp-transport';
import { connectionName } from '../harness/transport/amqp/connection-name';
import { collection } from '../reference-services/kit/collection';
import { deleteTopology } from '../reference-services/kit/delete-topology';
import { PostgresStore } from '../reference-services/kit/postgres-store';
import { serviceNames } from '../reference-services/services';
import { startShop } from '../reference-services/shop';

const orders = Number(process.env['BENCH_ORDERS'] ?? 1000);
const prefetch = Number(process.env['BENCH_PREFETCH'] ?? 32);
const pool = Number(process.env['BENCH_POOL'] ?? 16);
const baselineN = Number(process.env['BENCH_BASELINE_N'] ?? 10_000);
const timeoutMs = Number(process.env['BENCH_TIMEOUT_MS'] ?? 300_000);
const suffix = randomBytes(4).toString('hex');
/** Events per happy-path order: OrderPlaced, PaymentCompleted, InventoryReserved, ShipmentScheduled, CustomerNotified. */
const EVENTS_PER_ORDER = 5;

/** `promise`, or a rejection saying `progress()` once `ms` have passed. */
async function withDeadline(promise: Promise<void>, ms: number, progress: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pipeline stalled after ${ms} ms: ${progress()}`)), ms);
  });
  try {
    await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function rawBrokerRate(): Promise<number> {
  const transport = new AmqpTransport({
    connectionName: connectionName('bench-raw'),
    onError: () => undefined,
  });
  const exchange = `bench.raw.${suffix}`;
  const queue = `bench.raw.${suffix}.q`;
  await transport.declare({
    exchanges: [{ name: exchange, type: 'topic' }],
    queues: [{ name: queue, exchange, bindings: ['#'], kind: 'quorum' }],
  });
  const body = Buffer.from(JSON.stringify({ payload: 'x'.repeat(600) }));
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const subscription = await transport.consume(
    queue,
    () => {
      if (++received === baselineN) done();
      return Promise.resolve('ack');
    },
    { prefetch },
  );
  const started = performance.now();
  // Publish with confirms, a window of concurrent publishes like the relay's batch.
  const window = 200;
  for (let sent = 0; sent < baselineN; sent += window) {
    const batch = Math.min(window, baselineN - sent);
    await Promise.all(
      Array.from({ length: batch }, (_, i) =>
        transport.publish(exchange, { routingKey: `k.${(sent + i) % 64}`, body }),
      ),
    );
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await subscription.close();
  await transport.close();
  const { Connection } = await import('rabbitmq-client');
  const cleanup = new Connection({
    url: process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL, // the broker the transport used, not the client's default
    connectionName: connectionName('bench-cleanup'),
  });
  await cleanup.queueDelete({ queue });
  await cleanup.queueDelete({ queue: `${queue}.dlq` }).catch(() => undefined);
  await cleanup.exchangeDelete({ exchange });
  await cleanup.close();
  return baselineN / seconds;
}

async function postgresCommitRate(concurrency: number): Promise<number> {
  const store = await PostgresStore.open({ namespace: `bench_pg_${suffix}`, poolSize: concurrency });
  const records = collection<{ n: number; data: string }>('bench.records');
  const data = 'x'.repeat(300);
  const total = Math.max(2000, Math.floor(baselineN / 2));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const eventId = randomUUID();
        await store.transaction(async (tx) => {
          await tx.markProcessed('bench', eventId);
          const key = `k${i % 500}`;
          const current = await tx.get(records, key, { forUpdate: true });
          await tx.put(records, key, { n: (current?.n ?? 0) + 1, data });
          await tx.appendOutbox({
            aggregateId: key,
            eventId: randomUUID(),
            eventType: 'BenchEvent',
            routingKey: 'bench.event',
            correlationId: eventId,
            body: JSON.stringify({ data }),
          });
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.dropSchema();
  await store.close();
  return total / seconds;
}

async function pipelineRate(): Promise<{ eventsPerSecond: number; seconds: number; transactions: number }> {
  const namespace = `bench_${suffix}`;
  const store = await PostgresStore.open({ namespace, poolSize: pool });
  const transport = new AmqpTransport({
    connectionName: connectionName('bench-pipeline'),
    onError: () => undefined,
  });
  const customers = Array.from({ length: 200 }, (_, i) => ({
    customerId: randomUUID(),
    tier: i % 5 === 0 ? ('premium' as const) : ('standard' as const),
    email: `c${i}@example.com`,
    address: { name: 'A', line1: 'B', line2: null, city: 'C', postalCode: 'D', country: 'GB' },
  }));
  let notified = 0;
  let transactions = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const shop = await startShop({
    transport,
    store,
    namespace,
    prefetch,
    relays: 2,
    ...(process.env['BENCH_BATCH'] ? { batchSize: Number(process.env['BENCH_BATCH']) } : {}),
    ...(process.env['BENCH_LANES'] ? { lanes: Number(process.env['BENCH_LANES']) } : {}),
    seed: { customers, stock: { 'BOOK-001': orders * 10, 'PEN-002': orders * 10 } },
    onRecord: (record) => {
      if (record.outcome.kind !== 'ack' || record.outcome.status !== 'handled') return;
      transactions++;
      // Handled, not merely acked: a redelivered duplicate must not end the measurement early.
      if (record.service === 'notifications' && ++notified === orders) done();
    },
  });
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < orders) {
          const i = next++;
          await shop.placeOrder({
            customerId: customers[i % customers.length]?.customerId ?? '',
            items: [
              {
                sku: i % 2 ? 'BOOK-001' : 'PEN-002',
                quantity: 1,
                unitPrice: { amountMinor: 1000, currency: 'EUR' },
              },
            ],
          });
        }
      }),
    );
    await withDeadline(finished, timeoutMs, () => `${notified} of ${orders} orders notified`);
    const seconds = (performance.now() - started) / 1000;
    return {
      eventsPerSecond: (orders * EVENTS_PER_ORDER) / seconds,
      seconds,
      transactions: transactions + orders,
    };
  } finally {
    await shop.stop();
    await transport.close();
    await deleteTopology(namespace, serviceNames);
    await store.dropSchema();
    await store.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `pipeline bench: ${orders} orders, prefetch ${prefetch}, pool ${pool}, baselines n=${baselineN}`,
  );
  const pipeline = await pipelineRate();
  console.log(
    `pipeline: ${orders * EVENTS_PER_ORDER} events in ${pipeline.seconds.toFixed(2)} s = ${pipeline.eventsPerSecond.toFixed(0)} events/s ` +
      `(${(pipeline.transactions / pipeline.seconds).toFixed(0)} service transactions/s)`,
  );
  const raw = await rawBrokerRate();
  console.log(`(a) raw publish→consume with confirms: ${raw.toFixed(0)} msgs/s`);
  const pg = await postgresCommitRate(pool);
  console.log(`(b) PostgreSQL inbox+state+outbox commits at concurrency ${pool}: ${pg.toFixed(0)} commits/s`);
  const bound = Math.min(raw, pg);
  const ratio = pipeline.eventsPerSecond / bound;
  console.log(
    `ratio: pipeline events/s ÷ min(a, b) = ${pipeline.eventsPerSecond.toFixed(0)} / ${bound.toFixed(0)} = ${ratio.toFixed(2)} ` +
      `(target ≥ 0.5) ${ratio >= 0.5 ? '✓' : '✗'}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
