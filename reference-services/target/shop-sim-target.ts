import fc from 'fast-check';
import { troupeEnvelopeAdapter } from '../../../events/envelope-adapter';
import type { SimEnv, SimSystem, SimTarget } from '../../../fuzz/sim-target';
import type { DeliveryOutcome } from '../../../transport/transport';
import { exampleShippingAddress } from '../../../../reference-services/events/common';
import type { KnownBug } from '../../../../reference-services/kit/bugs';
import { crashPoints, SimulatedCrash } from '../../../../reference-services/kit/crash-points';
import { MemoryStore } from '../../../../reference-services/kit/memory-store';
import type { GatewayRules } from '../../../../reference-services/payments/gateway';
import { routingKeysOf, serviceNames } from '../../../../reference-services/services';
import { createShopProcessors } from '../../../../reference-services/shop-processors';
import { readShopState } from '../../../../reference-services/shop-state';
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

/** Options of the shop target. */
export interface ShopSimTargetOptions {
  readonly bugs?: readonly KnownBug[];
  /** Most orders per workload (default 4). */
  readonly maxOrders?: number;
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
 * The five reference services in one process on the stepped in-memory transport and a `MemoryStore`, with the
 * kit's crash points and known-bug switches. The outbox is relayed after every delivery (the relay never crashes
 * here: a relay crash is a duplicate publish, which `duplicate` faults already cover).
 */
export function shopSimTarget(options: ShopSimTargetOptions = {}): SimTarget<ShopWorkload> {
  const bugs = options.bugs ?? [];
  return {
    name: `shop${bugs.length > 0 ? ` [bug: ${bugs.join(', ')}]` : ''}`,
    workload: shopWorkloadArbitrary(options.maxOrders ?? 4),
    consumers: serviceNames,
    crashPoints,
    adapter: troupeEnvelopeAdapter('orderId'),
    invariants: [...shopEventInvariants, ...shopStateInvariants],
    flows: (workload) => workload.orders.map((_, index) => shopOrderId(index)),
    start: (env, workload) => startShop(env, workload, bugs),
  };
}

const exchange = 'shop';

async function startShop(env: SimEnv, workload: ShopWorkload, bugs: readonly KnownBug[]): Promise<SimSystem> {
  const { transport } = env;
  const store = new MemoryStore({ clock: env.now });
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
  const shop = createShopProcessors({
    store,
    clock: env.now,
    ids: env.ids,
    bugs,
    gatewayRules,
    retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    crashHook: (point) => {
      if (env.crashAt(point)) throw new SimulatedCrash(point);
    },
  });
  await shop.seed({
    customers: shopCustomers.map((customerId, index) => ({
      customerId,
      tier: tiers[index] ?? 'standard',
      email: `customer${index + 1}@example.com`,
      address: exampleShippingAddress,
    })),
    stock: Object.fromEntries(shopSkus.map((sku, index) => [sku, workload.stock[index] ?? 0])),
  });
  await transport.declare({
    exchanges: [
      { name: exchange, type: 'topic' },
      { name: `${exchange}.dlx`, type: 'topic' },
    ],
    queues: [
      ...serviceNames.map((name) => ({
        name,
        exchange,
        bindings: routingKeysOf(name),
        deadLetterExchange: `${exchange}.dlx`,
      })),
    ],
  });
  const relay = (): Promise<number> =>
    store.relayOutbox(1_000, async (rows) => {
      for (const row of rows) {
        await transport.publish(exchange, {
          routingKey: row.routingKey,
          body: Buffer.from(row.body),
          messageId: row.eventId,
          correlationId: row.correlationId,
          type: row.eventType,
          contentType: 'application/json',
        });
      }
      return rows.map((row) => row.id);
    });
  const attempts = new Map<string, number>();
  for (const name of serviceNames) {
    const processor = shop.processors[name];
    await transport.consume(name, async (delivery): Promise<DeliveryOutcome> => {
      const key = `${name}:${delivery.messageId ?? delivery.deliveryTag}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const outcome = await processor.process({ body: delivery.body, attempt });
      await relay();
      switch (outcome.kind) {
        case 'ack':
          return 'ack';
        case 'retry':
          return 'requeue';
        case 'reject':
          return 'reject';
        case 'crashed':
          // The process died. A runtime that acked before commit has already lost the message.
          return outcome.ackedEarly ? 'ack' : 'requeue';
      }
    });
  }
  for (const [index, order] of workload.orders.entries()) {
    await shop.placeOrder({
      orderId: shopOrderId(index),
      customerId: shopCustomers[order.customer] as string,
      items: order.items.map((item) => ({
        sku: shopSkus[item.sku] as string,
        quantity: item.quantity,
        unitPrice: { amountMinor: item.unitPrice, currency: 'EUR' },
      })),
      fraudScore: order.fraudulent ? 0.95 : 0.01,
    });
  }
  await relay();
  return { state: () => readShopState(store) };
}
