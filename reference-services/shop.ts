import type { Transport } from '../harness/transport/transport';
import type { KnownBug } from './kit/bugs';
import type { Clock, IdGenerator } from './kit/determinism';
import { OutboxRelay } from './kit/outbox-relay';
import type { OutboxRecord, Store } from './kit/store';
import type { RetryPolicy } from './kit/retry-policy';
import { ServiceRuntime, type RuntimeRecord } from './kit/service-runtime';
import type { ServiceProcessor } from './kit/service-processor';
import { topology, topologyNames, type TopologyNames } from './kit/topology';
import type { PlaceOrderCommand } from './orders/place-order';
import { orders, terminalOrderStatuses, type OrderRecord } from './orders/state';
import type { GatewayRules, PaymentGateway } from './payments/gateway';
import { routingKeysOf, serviceNames, type ServiceName, type ShopConfig } from './services';
import { createShopProcessors, type ShopSeed } from './shop-processors';
import { readShopState, type ShopState } from './shop-state';
import { stock, type StockRecord } from './inventory/state';

/** Options of `startShop`. */
export interface StartShopOptions extends ShopConfig {
  readonly transport: Transport;
  /**
   * A transport of its own per service and for the outbox relay (default: `transport` for all), e.g. one
   * connection each through the chaos proxy so faults and cuts hit one service. `transport` still declares.
   */
  readonly transportFor?: (role: ServiceName | 'relay') => Transport;
  /** Migrated store for `namespace` (MemoryStore, PostgresStore or PGliteStore). */
  readonly store: Store;
  /** Derives exchange and queue names; use a unique one per test. */
  readonly namespace: string;
  /** Which services to run here (default all five): `troupe service <name>` runs one. */
  readonly services?: readonly ServiceName[];
  readonly bugs?: Iterable<KnownBug>;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly retry?: RetryPolicy;
  readonly prefetch?: number;
  /** Consumer batching: most deliveries per transaction (see `ServiceRuntimeOptions.batchSize`). Default 16. */
  readonly batchSize?: number;
  /** Batch lanes per service (see `ServiceRuntimeOptions.lanes`). Default 1. */
  readonly lanes?: number;
  /** Outbox relays to run (0 for none: e.g. a test drives `relay.drainOnce()` itself). Default 1. */
  readonly relays?: number;
  readonly relayBatchSize?: number;
  /** A relay crash hook (see `OutboxRelayOptions.beforeMark`). */
  readonly relayBeforeMark?: (rows: readonly OutboxRecord[]) => void;
  readonly seed?: ShopSeed;
  readonly onRecord?: (record: RuntimeRecord) => void;
  readonly onError?: (error: Error) => void;
}

/** A running shop: the five services on a transport and a store, with commands and state readers. */
export interface StartedShop extends AsyncDisposable {
  readonly namespace: string;
  readonly names: TopologyNames;
  readonly store: Store;
  readonly transport: Transport;
  readonly gateway: PaymentGateway;
  readonly processors: Readonly<Record<ServiceName, ServiceProcessor>>;
  readonly relays: readonly OutboxRelay[];
  placeOrder(
    command: PlaceOrderCommand,
  ): Promise<{ readonly orderId: string; readonly correlationId: string }>;
  seed(seed: ShopSeed): Promise<void>;
  /** Replaces the payment gateway's rules. */
  configureGateway(rules: GatewayRules): void;
  order(orderId: string): Promise<OrderRecord | undefined>;
  stock(sku: string): Promise<StockRecord | undefined>;
  state(orderId?: string): Promise<ShopState>;
  /**
   * Resolves with the order once it is terminal (shipped, cancelled, needs_attention). Checked on every outbox
   * commit (push), with a slow poll as fallback; rejects after `timeoutMs` naming the status it was stuck in.
   */
  waitForTerminal(orderId: string, timeoutMs?: number): Promise<OrderRecord>;
  stop(): Promise<void>;
}

/**
 * Starts the shop's services (all five by default) in this process on `transport` + `store`: declares the
 * namespace's topology, starts one runtime per service and the outbox relay(s).
 */
export async function startShop(options: StartShopOptions): Promise<StartedShop> {
  const { transport, store, namespace } = options;
  const names = topologyNames(namespace);
  const running = options.services ?? serviceNames;
  const shop = createShopProcessors({
    ...options,
    store,
  });
  await transport.declare(
    topology(
      namespace,
      serviceNames.map((name) => ({ name, bindings: routingKeysOf(name) })),
    ),
  );
  if (options.seed) await shop.seed(options.seed);
  const runtimes = running.map(
    (name) =>
      new ServiceRuntime({
        processor: shop.processors[name],
        transport: options.transportFor?.(name) ?? transport,
        names,
        ...(options.prefetch !== undefined ? { prefetch: options.prefetch } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.lanes !== undefined ? { lanes: options.lanes } : {}),
        ...(options.onRecord ? { onRecord: options.onRecord } : {}),
        ...(options.onError ? { onError: options.onError } : {}),
      }),
  );
  const relays = Array.from(
    { length: options.relays ?? 1 },
    () =>
      new OutboxRelay({
        store,
        transport: options.transportFor?.('relay') ?? transport,
        exchange: names.exchange,
        ...(options.relayBatchSize !== undefined ? { batchSize: options.relayBatchSize } : {}),
        ...(options.relayBeforeMark ? { beforeMark: options.relayBeforeMark } : {}),
        ...(options.onError ? { onError: options.onError } : {}),
      }),
  );
  try {
    for (const runtime of runtimes) await runtime.start();
  } catch (error) {
    // The runtimes already started would otherwise keep consuming with nobody able to stop them.
    await Promise.allSettled(runtimes.map((runtime) => runtime.stop()));
    throw error;
  }
  for (const relay of relays) relay.start();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await Promise.all(runtimes.map((runtime) => runtime.stop()));
      await Promise.all(relays.map((relay) => relay.stop()));
    })());

  return {
    namespace,
    names,
    store,
    transport,
    gateway: shop.gateway,
    processors: shop.processors,
    relays,
    async placeOrder(command) {
      const placed = await shop.placeOrder(command);
      return { orderId: placed.orderId, correlationId: placed.correlationId };
    },
    seed: (seed) => shop.seed(seed),
    configureGateway: (rules) => shop.gateway.configure(rules),
    order: (orderId) => store.read(orders, orderId),
    stock: (sku) => store.read(stock, sku),
    state: (orderId) => readShopState(store, orderId),
    waitForTerminal: (orderId, timeoutMs = 30_000) => waitForTerminal(store, orderId, timeoutMs),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function waitForTerminal(store: Store, orderId: string, timeoutMs: number): Promise<OrderRecord> {
  return new Promise<OrderRecord>((resolve, reject) => {
    let last: OrderRecord | undefined;
    let checking = false;
    let again = false;
    const finish = (error?: Error, order?: OrderRecord): void => {
      clearTimeout(deadline);
      clearInterval(poll);
      unsubscribe();
      if (error) reject(error);
      else if (order) resolve(order);
    };
    const check = async (): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          last = await store.read(orders, orderId);
          if (last && terminalOrderStatuses.includes(last.status)) return finish(undefined, last);
        } while (again);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      } finally {
        checking = false;
      }
    };
    const unsubscribe = store.onOutboxWritten(() => void check());
    const poll = setInterval(() => void check(), 250);
    const deadline = setTimeout(
      () =>
        finish(
          new Error(
            `order ${orderId} not terminal after ${timeoutMs} ms (status: ${last?.status ?? 'unknown order'})`,
          ),
        ),
      timeoutMs,
    );
    void check();
  });
}
