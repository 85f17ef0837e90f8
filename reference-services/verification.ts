import { shopCatalog, type ShopEvent, type ShopEventType } from './events/catalog';
import { exampleShippingAddress as address } from './events/common';
import { manualClock, seededIds } from './kit/determinism';
import { MemoryStore } from './kit/memory-store';
import type { ProcessOutcome } from './kit/service-processor';
import type { OutboxRecord } from './kit/store';
import type { PlaceOrderCommand } from './orders/place-order';
import { consumersOf, type ServiceName, type ShopConfig } from './services';
import { createShopProcessors, type ShopProcessors, type ShopSeed } from './shop-processors';

/**
 * Running the services' real code paths without a broker, for contract tests: a provider produces messages by
 * running its command or handler and reading the outbox rows it wrote (never a hand-written literal), and a consumer
 * is verified by decoding and handling a message with its real code.
 */

/** Customers every verification shop is seeded with. */
export const verificationCustomers = {
  standard: '0192f5a0-7c1e-7a3b-8d4e-aaaaaaaaaaaa',
  premium: '0192f5a0-7c1e-7a3b-8d4e-aaaaaaaaaaab',
  declined: '0192f5a0-7c1e-7a3b-8d4e-aaaaaaaaaaac',
  refundRefused: '0192f5a0-7c1e-7a3b-8d4e-aaaaaaaaaaad',
} as const;

/** SKUs: `BOOK-001` plentiful, `RARE-001` none in stock. */
export const verificationStock: Readonly<Record<string, number>> = { 'BOOK-001': 1000, 'RARE-001': 0 };

const defaultConfig: ShopConfig = {
  gatewayRules: {
    declines: [{ customerId: verificationCustomers.declined, reason: 'declined' }],
    refundFailures: [{ customerId: verificationCustomers.refundRefused, reason: 'gateway refused refund' }],
  },
};

/** A deterministic shop on a MemoryStore, seeded with `verificationCustomers` and `verificationStock`. */
export async function verificationShop(
  options: { readonly seed?: number; readonly config?: ShopConfig; readonly extraSeed?: ShopSeed } = {},
): Promise<ShopProcessors & { readonly store: MemoryStore }> {
  const clock = manualClock(Date.UTC(2026, 10, 26, 9));
  const store = new MemoryStore({ clock: clock.now });
  const shop = createShopProcessors({
    ...defaultConfig,
    ...options.config,
    store,
    clock: clock.now,
    ids: seededIds(options.seed ?? 1),
  });
  await shop.seed({
    customers: [
      { customerId: verificationCustomers.standard, tier: 'standard', email: 'ada@example.com', address },
      { customerId: verificationCustomers.premium, tier: 'premium', email: 'grace@example.com', address },
      { customerId: verificationCustomers.declined, tier: 'standard', email: 'bob@example.com', address },
      {
        customerId: verificationCustomers.refundRefused,
        tier: 'standard',
        email: 'eve@example.com',
        address,
      },
    ],
    stock: verificationStock,
  });
  if (options.extraSeed) await shop.seed(options.extraSeed);
  return { ...shop, store };
}

/** What a producer step does: run a command, or deliver one message to one service. */
export type ProducerAction =
  | { readonly placeOrder: PlaceOrderCommand }
  | { readonly service: ServiceName; readonly message: ShopEvent | string | Uint8Array };

/** What the step wrote. */
export interface ProducerStepResult {
  /** The outbox rows the step wrote (exactly what the relay would publish). */
  readonly outbox: readonly OutboxRecord[];
  /** The same rows decoded. */
  readonly events: readonly ShopEvent[];
  /** The processor's outcome, for a message step. */
  readonly outcome?: ProcessOutcome;
}

/**
 * Runs one producer step on `shop` (default: a fresh `verificationShop()`) and returns the outbox rows it wrote.
 * Earlier steps (e.g. placing the order a cancellation refers to) can be run on the same shop first.
 */
export async function runProducerStep(
  action: ProducerAction,
  shop?: ShopProcessors,
): Promise<ProducerStepResult> {
  const target = shop ?? (await verificationShop());
  const before = (await target.store.outbox()).length;
  let outcome: ProcessOutcome | undefined;
  if ('placeOrder' in action) {
    await target.placeOrder(action.placeOrder);
  } else {
    const body =
      typeof action.message === 'object' && !(action.message instanceof Uint8Array)
        ? JSON.stringify(action.message)
        : action.message;
    outcome = await processToEnd(target, action.service, body);
  }
  const outbox = (await target.store.outbox()).slice(before);
  return {
    outbox,
    events: outbox.map((row) => shopCatalog.decodeOrThrow(row.body)),
    ...(outcome ? { outcome } : {}),
  };
}

/** The flows the reference shop can take. */
export type ShopPath = 'happy' | 'premium' | 'declined' | 'fraud' | 'out-of-stock' | 'refund-failed';

/** The command that drives `path` on a verification shop. */
export function commandFor(path: ShopPath): PlaceOrderCommand {
  const book = [{ sku: 'BOOK-001', quantity: 2, unitPrice: { amountMinor: 1250, currency: 'EUR' } }];
  const rare = [{ sku: 'RARE-001', quantity: 1, unitPrice: { amountMinor: 9900, currency: 'EUR' } }];
  switch (path) {
    case 'happy':
      return { customerId: verificationCustomers.standard, items: book };
    case 'premium':
      return { customerId: verificationCustomers.premium, items: book };
    case 'declined':
      return { customerId: verificationCustomers.declined, items: book };
    case 'fraud':
      return { customerId: verificationCustomers.standard, items: book, fraudScore: 0.97 };
    case 'out-of-stock':
      return { customerId: verificationCustomers.standard, items: rare };
    case 'refund-failed':
      return { customerId: verificationCustomers.refundRefused, items: rare };
  }
}

/**
 * Runs a whole flow through the real services (in process, no broker) and returns every event, in publication
 * order. `produceEvent` picks one of them.
 */
export async function runPath(path: ShopPath, shop?: ShopProcessors): Promise<readonly ShopEvent[]> {
  const target = shop ?? (await verificationShop());
  const { correlationId } = await target.placeOrder(commandFor(path));
  const events: ShopEvent[] = [];
  for (let round = 0; round < 50; round++) {
    const count = await target.store.relayOutbox(100, async (rows) => {
      for (const row of rows) {
        if (row.correlationId === correlationId) events.push(shopCatalog.decodeOrThrow(row.body));
        for (const service of consumersOf(row.eventType)) await processToEnd(target, service, row.body);
      }
      return rows.map((row) => row.id);
    });
    if (count === 0) return events;
  }
  throw new Error(`runPath(${path}): the flow did not end in 50 rounds`);
}

/** The paths on which each event type is produced (the first is the default). */
export const pathsProducing: Readonly<Record<ShopEventType, readonly ShopPath[]>> = {
  OrderPlaced: ['happy'],
  PaymentCompleted: ['happy'],
  PaymentFailed: ['declined', 'fraud'],
  InventoryReserved: ['happy'],
  InventoryReservationFailed: ['out-of-stock'],
  PaymentRefunded: ['out-of-stock'],
  PaymentRefundFailed: ['refund-failed'],
  OrderCancelled: ['declined', 'out-of-stock'],
  OrderNeedsAttention: ['refund-failed'],
  ShipmentScheduled: ['happy', 'premium'],
  CustomerNotified: ['happy', 'declined'],
};

/** The first `type` event the real producer emits on `path` (default: the first path producing it). */
export async function produceEvent<T extends ShopEventType>(
  type: T,
  path: ShopPath = pathsProducing[type][0] ?? 'happy',
): Promise<Extract<ShopEvent, { eventType: T }>> {
  const event = (await runPath(path)).find((candidate) => candidate.eventType === type);
  if (!event) throw new Error(`produceEvent: path "${path}" does not produce ${type}`);
  return event as Extract<ShopEvent, { eventType: T }>;
}

/** The result of a consumer step. */
export interface ConsumerStepResult {
  readonly outcome: ProcessOutcome;
  /** Events the consumer wrote to its outbox in response. */
  readonly emitted: readonly ShopEvent[];
}

/**
 * Decodes and handles `message` with `service`'s real code on a verification shop (after `given`, e.g.
 * `ensureOrder`, sets up what the message refers to). Retries are run to the end; the outcome is the final one.
 */
export async function runConsumerStep(
  service: ServiceName,
  message: string | Uint8Array | object,
  given?: (shop: ShopProcessors) => Promise<void>,
): Promise<ConsumerStepResult> {
  const shop = await verificationShop();
  if (given) await given(shop);
  const body =
    typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message);
  const outcome = await processToEnd(shop, service, body);
  return { outcome, emitted: outcome.kind === 'ack' && outcome.status === 'handled' ? outcome.emitted : [] };
}

/** Provider state: an order with `orderId` exists (placed by the standard customer), so orders can react to it. */
export function ensureOrder(
  orderId: string,
  path: ShopPath = 'happy',
): (shop: ShopProcessors) => Promise<void> {
  return async (shop) => {
    await shop.placeOrder({ ...commandFor(path), orderId });
  };
}

/** Processes one message with `service`'s processor, running its retries at once (no backoff): the final outcome. */
export async function processToEnd(
  shop: ShopProcessors,
  service: ServiceName,
  body: string | Uint8Array,
): Promise<ProcessOutcome> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await shop.processors[service].process({ body, attempt });
    if (outcome.kind !== 'retry') return outcome;
  }
}
