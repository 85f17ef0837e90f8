import fc from 'fast-check';
import { troupeEnvelopeAdapter } from '../../harness/events/envelope-adapter';
import type { SimEnv, SimSystem, SimTarget } from '../../harness/fuzz/sim-target';
import { deadLetterQueueName } from '../../harness/transport/dead-letter';
import { exampleShippingAddress } from '../events/common';
import { seedStock } from '../inventory/handlers';
import type { KnownBug } from '../kit/bugs';
import { crashPoints, SimulatedCrash } from '../kit/crash-points';
import { OutboxRelay, type OutboxRelayOptions } from '../kit/outbox-relay';
import { ServiceProcessor, type DecodeMemo, type ServiceProcessorOptions } from '../kit/service-processor';
import type { ServiceDefinition } from '../kit/service-definition';
import { ServiceRuntime } from '../kit/service-runtime';
import { SimulatedSqlError, SimulatedStore, type SimulatedStoreSnapshot } from '../kit/simulated-store';
import type { TopologyNames } from '../kit/topology';
import { placeOrder, seedCustomers } from '../orders/place-order';
import type { GatewayRules } from '../payments/gateway';
import { createServices, routingKeysOf, serviceNames, type ServiceName } from '../services';
import { readShopState } from '../shop-state';
import { shopEventInvariants, shopStateInvariants } from './shop-invariants';

/** One order of a generated workload (indices into the fixed customers and SKUs). */
export interface ShopOrder {
  readonly customer: number;
  readonly items: readonly { readonly sku: number; readonly quantity: number; readonly unitPrice: number }[];
  readonly fraudulent: boolean;
}

/** A generated shop workload: orders, stock levels, gateway behaviour. */
export interface ShopWorkload {
  readonly orders: readonly ShopOrder[];
  /** Stock per SKU (same order as `skus`). */
  readonly stock: readonly number[];
  /** Index of a customer whose charges the gateway declines, or -1. */
  readonly declines: number;
  /** Index of a customer whose refunds the gateway refuses, or -1. */
  readonly refundFailures: number;
}

export const shopSkus = ['BOOK-001', 'PEN-002', 'MUG-003'] as const;
export const shopCustomers = [
  '0192f5a0-7c1e-7a3b-8d4e-c00000000001',
  '0192f5a0-7c1e-7a3b-8d4e-c00000000002',
  '0192f5a0-7c1e-7a3b-8d4e-c00000000003',
] as const;
const tiers = ['standard', 'premium', 'standard'] as const;

/** The stable id of the nth order of a workload. */
export function shopOrderId(index: number): string {
  return `0192f5a0-0000-7000-8000-${(0xa00 + index).toString(16).padStart(12, '0')}`;
}

/** The workload arbitrary: 1..maxOrders orders with random items, amounts, customers, stock and gateway rules. */
export function shopWorkloadArbitrary(maxOrders = 4): fc.Arbitrary<ShopWorkload> {
  const item = fc.record({
    sku: fc.nat({ max: shopSkus.length - 1 }),
    quantity: fc.integer({ min: 1, max: 3 }),
    unitPrice: fc.integer({ min: 100, max: 5_000 }),
  });
  const order = fc.record({
    customer: fc.nat({ max: shopCustomers.length - 1 }),
    items: fc.array(item, { minLength: 1, maxLength: 2 }),
    fraudulent: fc.oneof(
      { weight: 9, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
  });
  return fc.record({
    orders: fc.array(order, { minLength: 1, maxLength: maxOrders }),
    // Shrink towards the happy path: plenty of stock, no declines, no refund failures.
    stock: fc.array(
      fc.nat({ max: 6 }).map((short) => 6 - short),
      { minLength: shopSkus.length, maxLength: shopSkus.length },
    ),
    declines: fc.constantFrom(-1, ...shopCustomers.map((_, index) => index)),
    refundFailures: fc.constantFrom(-1, ...shopCustomers.map((_, index) => index)),
  });
}

/**
 * A variant of the shop built from its real pieces with one piece altered — how a test plants a bug the shop's
 * code does not know about (no switch in the services): other handlers, another processor, another relay.
 */
export interface ShopSimVariant {
  /** Shown in the target's name. */
  readonly name: string;
  /** Replaces service definitions (e.g. a handler that reads without `forUpdate`). */
  readonly services?: (
    definitions: Readonly<Record<ServiceName, ServiceDefinition>>,
  ) => Readonly<Record<ServiceName, ServiceDefinition>>;
  /** Builds each instance's processor (default `new ServiceProcessor(options)`). */
  readonly processor?: (options: ServiceProcessorOptions) => ServiceProcessor;
  /** Builds each outbox relay (default `new OutboxRelay(options)`). */
  readonly relay?: (options: OutboxRelayOptions) => OutboxRelay;
}

/** Options of the shop target. */
export interface ShopSimTargetOptions {
  readonly bugs?: readonly KnownBug[];
  /** Most orders per workload (default 4). */
  readonly maxOrders?: number;
  /** Instances of each service competing for its queue, each on its own connection (default 2). */
  readonly instances?: number;
  /** Prefetch of each instance (default 4). */
  readonly prefetch?: number;
  /** Consumer batch size of each instance (default 4). */
  readonly batchSize?: number;
  /** Outbox relays competing for the outbox, each on its own connection (default 2). */
  readonly relays?: number;
  readonly variant?: ShopSimVariant;
}

const exchange = 'shop';
/** Shared by every simulated run in this thread: the same workload's messages recur in every schedule. */
const decodeMemo: DecodeMemo = new Map();

/** The simulated shop's broker names: short, so schedules read `payments#0`. */
const names: TopologyNames = {
  namespace: 'sim',
  exchange,
  deadLetterExchange: `${exchange}.dlx`,
  queue: (service) => service,
  deadLetterQueue: (service) => deadLetterQueueName(service),
};

/**
 * The five reference services as they ship — `ServiceRuntime`s (consumer batching, retries with backoff,
 * dead-lettering) over `ServiceProcessor`s, and `OutboxRelay`s with publisher confirms — on the stepped in-memory
 * transport, virtual timers and the `SimulatedStore` (concurrent transactions with row locks). Several instances
 * of each service compete for its queue; the simulator interleaves them. Crash points are the kit's; a `fail`
 * fault throws a transient store error (SQLSTATE 40001) inside the transaction.
 */
export function shopSimTarget(options: ShopSimTargetOptions = {}): SimTarget<ShopWorkload> {
  const bugs = options.bugs ?? [];
  const seeded: SeedCache = new Map();
  const labels = [
    ...(bugs.length > 0 ? [`bug: ${bugs.join(', ')}`] : []),
    ...(options.variant ? [`variant: ${options.variant.name}`] : []),
  ];
  return {
    name: `shop${labels.length > 0 ? ` [${labels.join('; ')}]` : ''}`,
    workload: shopWorkloadArbitrary(options.maxOrders ?? 4),
    consumers: serviceNames,
    crashPoints,
    publishers: [exchange],
    adapter: troupeEnvelopeAdapter('orderId'),
    invariants: [...shopEventInvariants, ...shopStateInvariants],
    flows: (workload) => workload.orders.map((_, index) => shopOrderId(index)),
    start: (env, workload) => startShop(env, workload, bugs, options, seeded),
  };
}

/** A workload's seeded store (customers, stock, placed orders) and how many ids seeding it took. */
interface SeededWorkload {
  readonly snapshot: SimulatedStoreSnapshot;
  readonly ids: number;
}

/** Seeded workloads by their JSON: every schedule of a workload, and its shrinks, start from the same state. */
type SeedCache = Map<string, SeededWorkload>;

async function startShop(
  env: SimEnv,
  workload: ShopWorkload,
  bugs: readonly KnownBug[],
  options: ShopSimTargetOptions,
  seeded: SeedCache,
): Promise<SimSystem> {
  const { transport } = env;
  const store = await seededStore(env, workload, bugs, seeded);
  const gatewayRules: GatewayRules = {
    declines:
      workload.declines >= 0
        ? [{ customerId: shopCustomers[workload.declines] as string, reason: 'declined' }]
        : [],
    refundFailures:
      workload.refundFailures >= 0
        ? [{ customerId: shopCustomers[workload.refundFailures] as string, reason: 'gateway refused refund' }]
        : [],
  };
  const created = createServices(store, { gatewayRules });
  const definitions = options.variant?.services?.(created.definitions) ?? created.definitions;
  const crashHook: ServiceProcessorOptions['crashHook'] = (point, info) => {
    const where = { queue: info.service, messageId: info.eventId };
    if (point === 'after-handle-before-commit' && env.failAt(where)) {
      throw new SimulatedSqlError('40001', 'could not serialize access due to concurrent update (simulated)');
    }
    if (env.crashAt(point, where)) throw new SimulatedCrash(point);
  };
  const makeProcessor =
    options.variant?.processor ?? ((o: ServiceProcessorOptions) => new ServiceProcessor(o));
  const makeRelay = options.variant?.relay ?? ((o: OutboxRelayOptions) => new OutboxRelay(o));
  const quiet = (): void => undefined;
  await transport.declare({
    exchanges: [
      { name: exchange, type: 'topic' },
      { name: names.deadLetterExchange, type: 'topic' },
    ],
    queues: serviceNames.map((name) => ({
      name,
      exchange,
      bindings: routingKeysOf(name),
      deadLetterExchange: names.deadLetterExchange,
    })),
  });
  const runtimes: ServiceRuntime[] = [];
  for (const name of serviceNames) {
    for (let instance = 1; instance <= (options.instances ?? 2); instance++) {
      const processor = makeProcessor({
        service: definitions[name],
        store,
        clock: env.now,
        ids: env.ids,
        bugs,
        crashHook,
        decodeMemo,
      });
      runtimes.push(
        new ServiceRuntime({
          processor,
          transport: transport.connect(`${name}-${instance}`),
          names,
          prefetch: options.prefetch ?? 4,
          batchSize: options.batchSize ?? 4,
          timers: env.timers,
          onError: quiet,
        }),
      );
    }
  }
  for (const runtime of runtimes) await runtime.start();
  const relays = Array.from({ length: options.relays ?? 2 }, (_, index) =>
    makeRelay({
      store,
      transport: transport.connect(`relay-${index + 1}`),
      exchange,
      timers: env.timers,
      onError: quiet,
    }),
  );
  for (const relay of relays) relay.start();
  return {
    state: () => readShopState(store),
    // An acked delivery can still be retrying in process (ack-before-commit): the run is not over until it ends.
    busy: () => store.unpublishedCount() > 0 || runtimes.some((runtime) => runtime.inFlightCount > 0),
    async stop() {
      await Promise.all(runtimes.map((runtime) => runtime.stop()));
      await Promise.all(relays.map((relay) => relay.stop()));
    },
  };
}

/**
 * The store of one run, seeded with the workload: customers, stock and the placed orders (their OrderPlaced rows
 * wait in the outbox). Seeding runs the shop's own commands once per workload; later runs start from a copy of
 * that state and draw the same number of ids, so a run is the same whether or not its workload was seen before.
 */
async function seededStore(
  env: SimEnv,
  workload: ShopWorkload,
  bugs: readonly KnownBug[],
  cache: SeedCache,
): Promise<SimulatedStore> {
  const interleaving = { step: () => env.step(), timers: env.timers };
  const key = JSON.stringify(workload);
  const known = cache.get(key);
  if (known) {
    for (let i = 0; i < known.ids; i++) env.ids();
    return new SimulatedStore({ clock: env.now, interleaving, from: known.snapshot });
  }
  const store = new SimulatedStore({ clock: env.now, interleaving });
  let drawn = 0;
  const ids = (): string => {
    drawn++;
    return env.ids();
  };
  await seedCustomers(
    { store },
    shopCustomers.map((customerId, index) => ({
      customerId,
      tier: tiers[index] ?? 'standard',
      email: `customer${index + 1}@example.com`,
      address: exampleShippingAddress,
    })),
  );
  await seedStock(store, Object.fromEntries(shopSkus.map((sku, index) => [sku, workload.stock[index] ?? 0])));
  for (const [index, order] of workload.orders.entries()) {
    await placeOrder(
      { store, clock: env.now, ids, bugs: new Set(bugs) },
      {
        orderId: shopOrderId(index),
        customerId: shopCustomers[order.customer] as string,
        items: order.items.map((item) => ({
          sku: shopSkus[item.sku] as string,
          quantity: item.quantity,
          unitPrice: { amountMinor: item.unitPrice, currency: 'EUR' },
        })),
        fraudScore: order.fraudulent ? 0.95 : 0.01,
      },
    );
  }
  if (cache.size >= 1_000) cache.clear();
  cache.set(key, { snapshot: store.snapshot(), ids: drawn });
  return store;
}
