import { randomBytes } from 'node:crypto';
import { acquireInfrastructure } from '../harness/infra/acquire-infrastructure';
import { shopCatalog, terminalEventTypes, type ShopEvent } from './events/catalog';
import { exampleShippingAddress as address } from './events/common';
import { deleteTopology } from './kit/delete-topology';
import type { Store } from './kit/store';
import { SqlStore } from './kit/_internals/sql-store';
import { openStore } from './open-store';
import { serviceNames } from './services';
import { startShop } from './shop';

/** One demo order: what it exercised, its event chain and where it ended. */
export interface DemoOrder {
  readonly label: string;
  readonly orderId: string;
  readonly correlationId: string;
  readonly status: string;
  readonly chain: readonly {
    readonly eventType: string;
    readonly service: string;
    readonly timestamp: string;
  }[];
}

/** The demo's result: `ok` when every order reached the terminal state its path expects. */
export interface DemoResult {
  readonly ok: boolean;
  readonly infrastructure: string;
  readonly orders: readonly DemoOrder[];
  readonly durationMs: number;
}

const people = {
  ada: '0192f5a0-7c1e-7a3b-8d4e-0000000000a1',
  grace: '0192f5a0-7c1e-7a3b-8d4e-0000000000a2',
  bob: '0192f5a0-7c1e-7a3b-8d4e-0000000000a3',
  eve: '0192f5a0-7c1e-7a3b-8d4e-0000000000a4',
} as const;

const book = (quantity: number) => [
  { sku: 'BOOK-001', quantity, unitPrice: { amountMinor: 1250, currency: 'EUR' } },
];
const lamp = (quantity: number) => [
  { sku: 'LAMP-042', quantity, unitPrice: { amountMinor: 4900, currency: 'EUR' } },
];

const orders = [
  { label: 'happy path', expect: 'shipped', command: { customerId: people.ada, items: book(2) } },
  {
    label: 'premium customer (express)',
    expect: 'shipped',
    command: { customerId: people.grace, items: book(1) },
  },
  { label: 'card declined', expect: 'cancelled', command: { customerId: people.bob, items: book(1) } },
  {
    label: 'fraud suspected',
    expect: 'cancelled',
    command: { customerId: people.ada, items: book(1), fraudScore: 0.93 },
  },
  {
    label: 'out of stock (refunded)',
    expect: 'cancelled',
    command: { customerId: people.ada, items: lamp(5) },
  },
  { label: 'refund refused', expect: 'needs_attention', command: { customerId: people.eve, items: lamp(5) } },
] as const;

/**
 * Starts all five services in this process on the infrastructure harness/infra picks (RabbitMQ + PostgreSQL here),
 * places demo orders covering every path, prints each order's event chain (type, service, time, ms since the
 * previous event) and final state, and resolves when all are terminal (at most `timeoutMs`). Cleans up its
 * namespace.
 */
export async function runDemo(
  options: { readonly timeoutMs?: number; readonly print?: (line: string) => void } = {},
): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const started = Date.now();
  await using infrastructure = await acquireInfrastructure();
  const namespace = `demo_${randomBytes(4).toString('hex')}`;
  const transport = infrastructure.createTransport();
  // Declared before the try: whatever was acquired is released, whichever step fails.
  let store: Store | undefined;
  let stopShop: (() => Promise<void>) | undefined;
  const result: DemoOrder[] = [];
  try {
    store = await openStore(namespace, infrastructure);
    print(`troupe demo: ${infrastructure.describe()} (namespace ${namespace})`);
    const shop = await startShop({
      transport,
      store,
      namespace,
      gatewayRules: {
        declines: [{ customerId: people.bob, reason: 'declined' }],
        refundFailures: [{ customerId: people.eve, reason: 'card account closed' }],
      },
      seed: {
        customers: [
          { customerId: people.ada, tier: 'standard', email: 'ada@example.com', address },
          { customerId: people.grace, tier: 'premium', email: 'grace@example.com', address },
          { customerId: people.bob, tier: 'standard', email: 'bob@example.com', address },
          { customerId: people.eve, tier: 'standard', email: 'eve@example.com', address },
        ],
        stock: { 'BOOK-001': 50, 'LAMP-042': 2 },
      },
    });
    stopShop = () => shop.stop();
    const placed = await Promise.all(orders.map((order) => shop.placeOrder(order.command)));
    const timeoutMs = options.timeoutMs ?? 60_000;
    await Promise.all(placed.map((order) => shop.waitForTerminal(order.orderId, timeoutMs)));
    // The terminal status is written before the last notification: wait until each chain has its last event.
    const deadline = started + timeoutMs;
    let events = await publishedEvents(store);
    while (!placed.every((order, i) => chainComplete(events, order.correlationId, orders[i]?.expect))) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
      events = await publishedEvents(store);
    }
    for (const [i, order] of placed.entries()) {
      const spec = orders[i];
      const final = await shop.order(order.orderId);
      const chain = events
        .filter((event) => event.correlationId === order.correlationId)
        .map((event) => ({
          eventType: event.eventType,
          service: shopCatalog.require(event.eventType).producer,
          timestamp: event.timestamp,
        }));
      result.push({
        label: spec?.label ?? '',
        orderId: order.orderId,
        correlationId: order.correlationId,
        status: final?.status ?? 'unknown',
        chain,
      });
      print('');
      print(`${spec?.label ?? ''}  order ${order.orderId}`);
      let previous: number | undefined;
      for (const step of chain) {
        const at = Date.parse(step.timestamp);
        const delta = previous === undefined ? '' : `+${at - previous} ms`;
        previous = at;
        print(`  ${step.eventType.padEnd(27)} ${step.service.padEnd(14)} ${step.timestamp}  ${delta}`);
      }
      print(`  final state: ${final?.status ?? 'unknown'}${final?.reason ? ` (${final.reason})` : ''}`);
    }
    const ok = result.every((order, i) => order.status === orders[i]?.expect);
    const durationMs = Date.now() - started;
    print('');
    print(`${ok ? '✓' : '✗'} ${result.length} orders terminal in ${durationMs} ms`);
    return { ok, infrastructure: infrastructure.describe(), orders: result, durationMs };
  } finally {
    await stopShop?.();
    await transport.close();
    if (infrastructure.amqpUrl)
      await deleteTopology(namespace, serviceNames, infrastructure.amqpUrl).catch(() => undefined);
    if (store instanceof SqlStore) await store.dropSchema().catch(() => undefined);
    await store?.close();
  }
}

async function publishedEvents(store: Store): Promise<ShopEvent[]> {
  return (await store.outbox())
    .filter((row) => row.publishedAt !== null)
    .map((row) => shopCatalog.decodeOrThrow(row.body));
}

function chainComplete(
  events: readonly ShopEvent[],
  correlationId: string,
  expected: string | undefined,
): boolean {
  const chain = events.filter((event) => event.correlationId === correlationId);
  const terminal = chain.some((event) => (terminalEventTypes as readonly string[]).includes(event.eventType));
  // needs_attention ends without a notification; the others end with CustomerNotified.
  if (expected === 'needs_attention') return terminal;
  return terminal && chain.some((event) => event.eventType === 'CustomerNotified');
}
