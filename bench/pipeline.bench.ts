/**
 * `npm run bench:pipeline`: N orders through all five reference services on RabbitMQ + PostgreSQL, for two
 * workloads — many SKUs (flows rarely share a row) and two hot SKUs (every order locks the same stock rows) — and
 * in the same run the two baselines that bound it, each measured before and after the workloads (the higher of the
 * two counts, so a baseline taken in a slow moment of a shared machine cannot flatter the ratio):
 *   (a) raw publish→consume msgs/s with the same client (AmqpTransport, publisher confirms, same prefetch);
 *   (b) PostgreSQL commits/s of the inbox + state + outbox transaction at the same concurrency (pool size), one
 *       event per transaction, through the same store.
 * The orders are placed before the services start (their OrderPlaced rows wait in the outbox); the clock runs
 * from the services' start until every delivery the orders cause is handled (the orders service's own three per
 * order too) and every event is published (the last CustomerNotified too); the time to the last CustomerNotified
 * committed is printed beside it. Prints pipeline events/s, its ratio to min(a, b) (target ≥ 1.0: consumer batching
 * must beat the per-commit limit), what limits each workload — measured: each service's lane occupancy (time inside
 * batch transactions ÷ lanes ÷ run time), the gateway's own ledger commits inside payments' batches, the peak
 * queue backlog and who used the machine's CPU (/proc) — and the live heap held per 1,000 in-flight orders
 * (placed, not yet notified; a full GC before each of at most four samples, their time printed).
 *
 * Services run as the kit builds them (ServiceRuntime per service with consumer batching: one transaction per
 * batch, its inbox rows, declared row locks, state and outbox writes one statement each, payments' gateway charges
 * overlapping; services whose rows are per order get BENCH_LANES batch lanes, inventory one lane when its stock
 * rows are hot), 2 outbox relays.
 *
 * Also printed per service: deliveries per batch transaction and milliseconds per batch.
 *
 * Options (env): BENCH_ORDERS (default 1000), BENCH_PREFETCH (default 256), BENCH_POOL (default 16),
 * BENCH_BATCH (default 128), BENCH_LANES (lanes of the per-order services, default 1: the machine's CPU, not the
 * lanes' waits, sets the pace once a batch locks its rows in one statement and overlaps its gateway charges, and
 * one lane makes batches bigger — 6 runs each, mean events/s of 1 lane/batch 128/prefetch 256 against 2/64/128:
 * +24% many SKUs, +13% two hot SKUs; against 2/128/256: +10%, +5%), BENCH_EXTERNAL_POOL (connections of the
 * gateway's ledger, default 8: a payments batch charges its orders concurrently), BENCH_WORKLOADS (default
 * "many,hot"), BENCH_BASELINE_N (default 10000), BENCH_TIMEOUT_MS (default 300000: a pipeline that stalls fails
 * instead of hanging), AMQP_URL, DATABASE_URL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../harness/transport/amqp/amqp-transport';
import { connectionName } from '../harness/transport/amqp/connection-name';
import { collection } from '../reference-services/kit/collection';
import { deleteTopology } from '../reference-services/kit/delete-topology';
import { OutboxRelay } from '../reference-services/kit/outbox-relay';
import { PostgresStore } from '../reference-services/kit/postgres-store';
import { ServiceRuntime } from '../reference-services/kit/service-runtime';
import { topology, topologyNames } from '../reference-services/kit/topology';
import { consumersOf, routingKeysOf, serviceNames, type ServiceName } from '../reference-services/services';
import { createShopProcessors } from '../reference-services/shop-processors';

const orders = Number(process.env['BENCH_ORDERS'] ?? 1000);
const prefetch = Number(process.env['BENCH_PREFETCH'] ?? 256);
const pool = Number(process.env['BENCH_POOL'] ?? 16);
const batchSize = Number(process.env['BENCH_BATCH'] ?? 128);
const lanes = Number(process.env['BENCH_LANES'] ?? 1);
const externalPool = Number(process.env['BENCH_EXTERNAL_POOL'] ?? 8);
const workloads = (process.env['BENCH_WORKLOADS'] ?? 'many,hot').split(',').map((w) => w.trim());
const baselineN = Number(process.env['BENCH_BASELINE_N'] ?? 10_000);
const timeoutMs = Number(process.env['BENCH_TIMEOUT_MS'] ?? 300_000);
const suffix = randomBytes(4).toString('hex');
/** The events of a happy-path order, each published once. */
const happyPath = [
  'OrderPlaced',
  'PaymentCompleted',
  'InventoryReserved',
  'ShipmentScheduled',
  'CustomerNotified',
] as const;
const EVENTS_PER_ORDER = happyPath.length;
/** Deliveries per order: every consumer of every event (orders also follows its order's progress). */
const DELIVERIES_PER_ORDER = happyPath.reduce((n, type) => n + consumersOf(type).length, 0);

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

/** A full garbage collection (the bench measures live heap). */
const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** A pipeline workload: which SKUs the orders buy. */
interface Workload {
  readonly name: string;
  readonly skus: readonly string[];
  /** Inventory's batch lanes: several when flows rarely share a stock row, one when they all do. */
  readonly inventoryLanes: number;
}

const workloadsByName: Readonly<Record<string, Workload>> = {
  many: {
    name: 'many SKUs (500)',
    skus: Array.from({ length: 500 }, (_, i) => `SKU-${String(i).padStart(4, '0')}`),
    inventoryLanes: lanes,
  },
  hot: { name: 'two hot SKUs', skus: ['BOOK-001', 'PEN-002'], inventoryLanes: 1 },
};

interface PipelineResult {
  readonly eventsPerSecond: number;
  /** Services' start to every delivery handled and every event published. */
  readonly seconds: number;
  /** Services' start to the last CustomerNotified committed (orders' own deliveries may still be queued). */
  readonly secondsToLastNotified: number;
  readonly handled: number;
  /** Highest sampled depth (ready + unacked) per service queue. */
  readonly backlog: ReadonlyMap<ServiceName, number>;
  /** Per service: batch transactions, deliveries in them, milliseconds spent in them. */
  readonly batches: ReadonlyMap<string, { calls: number; inputs: number; ms: number }>;
  /** Batch lanes per service. */
  readonly lanes: ReadonlyMap<string, number>;
  /** The payment gateway's ledger writes (`putIfAbsent`, each its own commit) in the timed run. */
  readonly gateway: { calls: number; ms: number; busyMs: number };
  /** Who used the machine's CPU during the timed run (undefined without /proc). */
  readonly cpu: string | undefined;
  readonly heapPer1000InFlight: number | undefined;
  readonly peakInFlight: number;
  /** Full GCs the memory measurement forced inside the timed run, and the time they took. */
  readonly forcedGcs: number;
  readonly forcedGcMs: number;
}

async function pipelineRate(workload: Workload): Promise<PipelineResult> {
  const namespace = `bench_${suffix}_${workload.skus.length}`;
  const names = topologyNames(namespace);
  const store = await PostgresStore.open({ namespace, poolSize: pool, externalPoolSize: externalPool });
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
  let notifiedAt = 0;
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // Done when the orders' work is all done: every delivery handled (orders' own three per order too) and every
  // event published — not merely when the last CustomerNotified committed with deliveries still queued.
  const published = (): number => relays.reduce((n, relay) => n + relay.published, 0);
  const checkDone = (): void => {
    if (handled >= orders * DELIVERIES_PER_ORDER && published() >= orders * EVENTS_PER_ORDER) done();
  };
  const shop = createShopProcessors({ store });
  await transport.declare(
    topology(
      namespace,
      serviceNames.map((name) => ({ name, bindings: routingKeysOf(name) })),
    ),
  );
  await shop.seed({
    customers,
    stock: Object.fromEntries(workload.skus.map((sku) => [sku, orders * 10])),
  });
  const gateway = { calls: 0, ms: 0, busyMs: 0 };
  {
    // The gateway's ledger commits on its own, once per charge, inside payments' batches: how long they take
    // (`ms` summed over calls, `busyMs` the wall time with at least one in flight — charges overlap).
    const original = store.putIfAbsent.bind(store);
    let inFlight = 0;
    let busySince = 0;
    store.putIfAbsent = async (...args) => {
      const t = performance.now();
      if (inFlight++ === 0) busySince = t;
      try {
        return await original(...args);
      } finally {
        const now = performance.now();
        gateway.calls++;
        gateway.ms += now - t;
        if (--inFlight === 0) gateway.busyMs += now - busySince;
      }
    };
  }
  const batches = new Map<string, { calls: number; inputs: number; ms: number }>();
  {
    // Batch statistics per service (size, time): what each service's transactions cost in this run.
    for (const name of serviceNames) {
      const processor = shop.processors[name];
      const original = processor.processBatch.bind(processor);
      processor.processBatch = async (inputs) => {
        const t = performance.now();
        const out = await original(inputs);
        const b = batches.get(name) ?? { calls: 0, inputs: 0, ms: 0 };
        b.calls++;
        b.inputs += inputs.length;
        b.ms += performance.now() - t;
        batches.set(name, b);
        return out;
      };
    }
  }
  const lanesOf = new Map(
    serviceNames.map((name) => [name, name === 'inventory' ? workload.inventoryLanes : lanes] as const),
  );
  const runtimes = serviceNames.map(
    (name) =>
      new ServiceRuntime({
        processor: shop.processors[name],
        transport,
        names,
        prefetch,
        batchSize,
        lanes: lanesOf.get(name) ?? lanes,
        onError: () => undefined,
        onRecord: (record) => {
          if (record.outcome.kind !== 'ack' || record.outcome.status !== 'handled') return;
          // Handled, not merely acked: a redelivered duplicate must not end the measurement early.
          handled++;
          if (record.service === 'notifications' && ++notified === orders) notifiedAt = performance.now();
          checkDone();
        },
      }),
  );
  const relays = [1, 2].map(
    () => new OutboxRelay({ store, transport, exchange: names.exchange, onError: () => undefined }),
  );
  // The orders are placed first (16 at a time, their OrderPlaced waiting in the outbox), so the measurement is the
  // pipeline's own capacity, not the rate of the command that feeds it.
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < orders) {
        const i = next++;
        await shop.placeOrder({
          customerId: customers[i % customers.length]?.customerId ?? '',
          items: [
            {
              sku: workload.skus[i % workload.skus.length] ?? 'BOOK-001',
              quantity: 1,
              unitPrice: { amountMinor: 1000, currency: 'EUR' },
            },
          ],
        });
      }
    }),
  );
  const placed = orders;
  const backlog = new Map<ServiceName, number>();
  const sampler = sampleQueues(names, backlog);
  // Heap per in-flight order: live heap (after a full GC) while orders are in flight, against the live heap after
  // the run (nothing in flight). A full GC stops the pipeline while it runs (tens of ms), so only a few are forced:
  // when the number in flight fell by a tenth, while at least half the orders are in flight, at most four.
  let peakInFlight = 0;
  let heapAtPeak = 0;
  let lastSampled = Number.POSITIVE_INFINITY;
  let forcedGcs = 0;
  let forcedGcMs = 0;
  const memory = setInterval(() => {
    const inFlight = placed - notified;
    if (inFlight < lastSampled * 0.9 && inFlight >= placed / 2 && forcedGcs < 4) {
      lastSampled = inFlight;
      const t = performance.now();
      gc();
      forcedGcs++;
      forcedGcMs += performance.now() - t;
      const heap = process.memoryUsage().heapUsed;
      if (inFlight >= peakInFlight * 0.5 && heap > heapAtPeak) {
        peakInFlight = inFlight;
        heapAtPeak = heap;
      }
    }
  }, 200);
  // Only the timed run counts: placing the orders above went through the gateway's store too.
  gateway.calls = 0;
  gateway.ms = 0;
  gateway.busyMs = 0;
  const cpuAtStart = cpuSnapshot();
  const started = performance.now();
  for (const runtime of runtimes) await runtime.start();
  for (const relay of relays) relay.start();
  // The last rows the relays publish are not a delivery anyone handles: look for them every few milliseconds.
  const relayWatch = setInterval(checkDone, 5);
  try {
    await withDeadline(
      finished,
      timeoutMs,
      () =>
        `${notified} of ${orders} orders notified, ${handled} of ${orders * DELIVERIES_PER_ORDER} deliveries handled, ` +
        `${published()} of ${orders * EVENTS_PER_ORDER} events published`,
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuAtEnd = cpuSnapshot();
    const gatewayInRun = { ...gateway };
    clearInterval(relayWatch);
    clearInterval(memory);
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    return {
      eventsPerSecond: (orders * EVENTS_PER_ORDER) / seconds,
      seconds,
      secondsToLastNotified: (notifiedAt - started) / 1000,
      handled,
      backlog,
      batches,
      lanes: lanesOf,
      gateway: gatewayInRun,
      cpu: cpuAtStart && cpuAtEnd ? cpuShares(cpuAtStart, cpuAtEnd) : undefined,
      peakInFlight,
      forcedGcs,
      forcedGcMs,
      heapPer1000InFlight:
        peakInFlight >= 50 ? (Math.max(0, heapAtPeak - heapAfter) / peakInFlight) * 1000 : undefined,
    };
  } finally {
    clearInterval(relayWatch);
    clearInterval(memory);
    await sampler.stop();
    await Promise.all(runtimes.map((runtime) => runtime.stop()));
    await Promise.all(relays.map((relay) => relay.stop()));
    await transport.close();
    await deleteTopology(namespace, serviceNames);
    await store.dropSchema();
    await store.close();
  }
}

/** Samples the depth (ready + unacked) of every service queue every 500 ms through a passive queue check. */
function sampleQueues(
  names: ReturnType<typeof topologyNames>,
  backlog: Map<ServiceName, number>,
): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    const { Connection } = await import('rabbitmq-client');
    const connection = new Connection({
      url: process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL,
      connectionName: connectionName('bench-sampler'),
    });
    try {
      while (!stopped) {
        for (const name of serviceNames) {
          const info = await connection.queueDeclare({ queue: names.queue(name), passive: true });
          // messageCount counts ready messages; the consumers hold up to prefetch × lanes unacked besides.
          backlog.set(name, Math.max(backlog.get(name) ?? 0, info.messageCount));
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await connection.close();
    }
  })().catch(() => undefined);
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * What limits a run, measured: the stage whose batch lanes were busiest (time inside batch transactions ÷ lanes ÷
 * run time; a stage busy all the time is the one the others wait for), what its time went to, the queue backlog,
 * and who used the machine's CPU.
 */
function limitOf(result: PipelineResult): string {
  const busy = [...result.batches]
    .map(([name, b]) => ({ name, share: b.ms / 1000 / ((result.lanes.get(name) ?? 1) * result.seconds) }))
    .sort((a, b) => b.share - a.share);
  const depths = [...result.backlog].sort(([, a], [, b]) => b - a);
  const backlog = depths
    .slice(0, 3)
    .map(([service, depth]) => `${service} ${depth}`)
    .join(', ');
  const [top] = busy;
  const lanesOfTop = top ? (result.lanes.get(top.name) ?? 1) : 1;
  const stage =
    top && top.share >= 0.8
      ? `${top.name}: ${lanesOfTop === 1 ? 'its lane was' : `its ${lanesOfTop} lanes were`} inside batch transactions ${pct(top.share)} of the run` +
        (top.name === 'payments' && result.gateway.calls > 0
          ? `; a gateway charge (its ledger's own commit, one per charge, ${(result.gateway.ms / result.gateway.calls).toFixed(1)} ms mean, ` +
            `${result.gateway.calls} charges) was in flight ${pct(result.gateway.busyMs / 1000 / result.seconds)} of the run`
          : '')
      : `no stage saturated (busiest: ${busy
          .slice(0, 2)
          .map((b) => `${b.name} ${pct(b.share)}`)
          .join(', ')} of the run inside batch transactions): the relays and the shared CPU set the pace`;
  return `${stage}; lane occupancy ${busy.map((b) => `${b.name} ${pct(b.share)}`).join(', ')}; peak ready backlog ${backlog}; ${result.cpu ?? 'CPU split not measured (no /proc)'}`;
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** CPU ticks per process (and its group) and the machine's total and idle ticks (Linux /proc). */
interface CpuSnapshot {
  readonly total: number;
  readonly idle: number;
  readonly processes: ReadonlyMap<string, { readonly group: string; readonly ticks: number }>;
}

function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const processes = new Map<string, { group: string; ticks: number }>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // the process ended while we looked
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime: fields 14 and 15 of the stat line, 12 and 13 after the command.
      const ticks = Number(rest[11]) + Number(rest[12]);
      const group =
        pid === String(process.pid)
          ? 'this bench process'
          : comm.startsWith('postgres')
            ? 'postgres'
            : /^(beam|erl_child|epmd|inet_gethost)/.test(comm)
              ? 'rabbitmq'
              : undefined;
      if (group) processes.set(pid, { group, ticks });
    }
    return { total: fields.reduce((a, b) => a + b, 0), idle: (fields[3] ?? 0) + (fields[4] ?? 0), processes };
  } catch {
    return undefined;
  }
}

/**
 * Who used the CPU between two snapshots, as shares of all cores: this process, PostgreSQL, RabbitMQ, and the
 * rest of the busy time (other processes — other work on a shared machine — and the kernel).
 */
function cpuShares(from: CpuSnapshot, to: CpuSnapshot): string {
  const total = to.total - from.total;
  if (total <= 0) return 'CPU split not measured (no ticks elapsed)';
  const busy = 1 - (to.idle - from.idle) / total;
  const groups = new Map<string, number>();
  for (const [pid, { group, ticks }] of to.processes) {
    // Processes that started in the run count whole; those that ended in it fall into the rest.
    groups.set(group, (groups.get(group) ?? 0) + (ticks - (from.processes.get(pid)?.ticks ?? 0)) / total);
  }
  const named = [...groups].sort(([, a], [, b]) => b - a);
  const rest = Math.max(0, busy - named.reduce((sum, [, share]) => sum + share, 0));
  // The five services and both relays share this process's one JavaScript thread: its share of one core is the
  // ceiling that matters once it nears 100%.
  const ownCore = (groups.get('this bench process') ?? 0) * availableParallelism();
  return (
    `machine CPU ${pct(busy)} busy (of all cores: ` +
    `${[...named, ['everything else', rest] as const].map(([group, share]) => `${group} ${pct(share)}`).join(', ')}; ` +
    `this process — all services and relays on one JavaScript thread — used ${pct(ownCore)} of one core)`
  );
}

async function main(): Promise<void> {
  console.log(
    `pipeline bench: ${orders} orders, prefetch ${prefetch}, batch ${batchSize}, lanes ${lanes}, pool ${pool}, baselines n=${baselineN}`,
  );
  // The baselines run before and after the workloads, and the higher of each bounds them: under a machine whose
  // load changes (other work on a shared box), a baseline measured in a slow moment must not flatter the ratio.
  const raws = [await rawBrokerRate()];
  const pgs = [await postgresCommitRate(pool)];
  const results: [Workload, PipelineResult][] = [];
  for (const name of workloads) {
    const workload = workloadsByName[name];
    if (!workload) throw new Error(`BENCH_WORKLOADS: unknown workload "${name}" (known: many, hot)`);
    const result = await pipelineRate(workload);
    results.push([workload, result]);
    console.log(
      `pipeline, ${workload.name}: ${orders * EVENTS_PER_ORDER} events in ${result.seconds.toFixed(2)} s = ` +
        `${result.eventsPerSecond.toFixed(0)} events/s (${(result.handled / result.seconds).toFixed(0)} handled deliveries/s; ` +
        `last CustomerNotified committed after ${result.secondsToLastNotified.toFixed(2)} s)`,
    );
  }
  raws.push(await rawBrokerRate());
  pgs.push(await postgresCommitRate(pool));
  const raw = Math.max(...raws);
  const pg = Math.max(...pgs);
  const both = (rates: number[]) => `before ${rates[0]?.toFixed(0)}, after ${rates[1]?.toFixed(0)}`;
  console.log(`(a) raw publish→consume with confirms: ${raw.toFixed(0)} msgs/s (${both(raws)})`);
  console.log(
    `(b) PostgreSQL inbox+state+outbox commits at concurrency ${pool}: ${pg.toFixed(0)} commits/s (${both(pgs)})`,
  );
  const bound = Math.min(raw, pg);
  for (const [workload, result] of results) {
    const ratio = result.eventsPerSecond / bound;
    console.log(
      `${workload.name}: pipeline events/s ÷ min(a, b) = ${result.eventsPerSecond.toFixed(0)} / ${bound.toFixed(0)} = ` +
        `${ratio.toFixed(2)} (target ≥ 1.0) ${ratio >= 1 ? '✓' : '✗'}`,
    );
    console.log(`  limited by: ${limitOf(result)}`);
    console.log(
      `  batches: ${[...result.batches]
        .map(
          ([name, b]) => `${name} ${(b.inputs / b.calls).toFixed(1)}/batch ${(b.ms / b.calls).toFixed(0)} ms`,
        )
        .join(', ')}`,
    );
    console.log(
      `  memory: ${
        result.heapPer1000InFlight === undefined
          ? `fewer than 50 orders were ever in flight at once (peak ${result.peakInFlight}): not measured`
          : `${(result.heapPer1000InFlight / 1024 / 1024).toFixed(1)} MiB of heap per 1,000 in-flight orders (peak ${result.peakInFlight} in flight)`
      } (${result.forcedGcs} full GCs forced in the timed run, ${result.forcedGcMs.toFixed(0)} ms)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
