import type { ProviderStateSpec } from '../../../harness/contracts/pact/event-interaction';
import {
  CustomerNotified,
  InventoryReservationFailed,
  InventoryReserved,
  OrderCancelled,
  OrderPlaced,
  PaymentCompleted,
  PaymentFailed,
  PaymentRefunded,
  PaymentRefundFailed,
  ShipmentScheduled,
  type ShopEvent,
  type ShopEventType,
} from '../../../reference-services/events/catalog';
import type { EventDefinition } from '../../../harness/events/define-event';
import type { ProcessOutcome } from '../../../reference-services/kit/service-processor';
import { orders } from '../../../reference-services/orders/state';
import type { ServiceName } from '../../../reference-services/services';
import type { ShopProcessors } from '../../../reference-services/shop-processors';
import { shopStates } from './shop-provider';

/** One consumer's expectation of one event: the interaction of its pact and what its real handler must do. */
export interface ConsumerEdge {
  readonly consumer: ServiceName;
  readonly provider: ServiceName;
  readonly event: EventDefinition;
  /** After the event type: `<EventType>: <what>` is the interaction description. */
  readonly what: string;
  readonly states: readonly ProviderStateSpec[];
  /** The payload example this interaction shows (defaults to the catalog's example). */
  readonly payload?: unknown;
  /** Fields this consumer needs exactly (see `EventMessageContractOptions.exact`). */
  readonly exact?: readonly string[];
  /** The consumer's own state before the message arrives (e.g. the order it tracks exists). */
  readonly arrange?: (shop: ShopProcessors, message: ShopEvent) => Promise<void>;
  /** What the consumer's real handler must have done with the pact's message. */
  readonly check: (outcome: ProcessOutcome, shop: ShopProcessors, message: ShopEvent) => Promise<void>;
}

const state = (name: string): ProviderStateSpec => ({ name });

/** The orders service tracks an order only if it placed it: place it with the message's orderId first. */
async function orderExists(shop: ShopProcessors, message: ShopEvent): Promise<void> {
  const { example } = OrderPlaced;
  await shop.seed({
    customers: [{ customerId: example.customer.customerId, tier: 'standard', email: example.customer.email }],
  });
  await shop.placeOrder({
    orderId: message.payload.orderId,
    customerId: example.customer.customerId,
    items: example.items,
    shippingAddress: example.shippingAddress,
  });
}

function emittedTypes(outcome: ProcessOutcome): ShopEventType[] {
  if (outcome.kind !== 'ack' || outcome.status !== 'handled') {
    throw new Error(`the consumer did not handle the message: ${JSON.stringify(outcome)}`);
  }
  return outcome.emitted.map((event) => event.eventType);
}

function expectEmitted(outcome: ProcessOutcome, expected: readonly ShopEventType[]): void {
  const actual = emittedTypes(outcome);
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(
      `expected the consumer to emit [${expected.join(', ')}], it emitted [${actual.join(', ')}]`,
    );
  }
}

/** What orders' real handler must do: emit exactly `emitted` and leave the order in `status`. */
function ordersOutcome(emitted: readonly ShopEventType[], status: string): ConsumerEdge['check'] {
  return async (outcome, shop, message) => {
    expectEmitted(outcome, emitted);
    await expectOrderStatus(shop, message, status);
  };
}

async function expectOrderStatus(shop: ShopProcessors, message: ShopEvent, status: string): Promise<void> {
  const order = await shop.store.read(orders, message.payload.orderId);
  if (order?.status !== status) throw new Error(`expected order status ${status}, got ${order?.status}`);
}

/** Every (consumer, event) edge of the shop's choreography, with the states where behaviour differs. */
export const shopConsumerEdges: readonly ConsumerEdge[] = [
  {
    consumer: 'payments',
    provider: 'orders',
    event: OrderPlaced,
    what: 'an order to charge',
    states: [],
    check: (outcome) => Promise.resolve(expectEmitted(outcome, ['PaymentCompleted'])),
  },
  {
    consumer: 'inventory',
    provider: 'payments',
    event: PaymentCompleted,
    what: 'a paid order to reserve',
    states: [],
    // Stock for exactly what the message asks: inventory must read every item's sku and quantity to reserve.
    arrange: async (shop, message) => {
      const items = message.eventType === 'PaymentCompleted' ? message.payload.items : [];
      await shop.seed({ stock: Object.fromEntries(items.map((item) => [item.sku, item.quantity])) });
    },
    check: (outcome) => Promise.resolve(expectEmitted(outcome, ['InventoryReserved'])),
  },
  {
    consumer: 'orders',
    provider: 'payments',
    event: PaymentCompleted,
    what: 'an order was paid',
    states: [],
    arrange: orderExists,
    check: ordersOutcome([], 'paid'),
  },
  {
    consumer: 'orders',
    provider: 'payments',
    event: PaymentFailed,
    what: 'the payment was declined',
    states: [state(shopStates.cardIsDeclined)],
    arrange: orderExists,
    check: ordersOutcome(['OrderCancelled'], 'cancelled'),
  },
  {
    consumer: 'orders',
    provider: 'payments',
    event: PaymentRefunded,
    what: 'the payment was refunded after a failed reservation',
    states: [state(shopStates.stockIsInsufficient)],
    arrange: orderExists,
    check: (outcome) => Promise.resolve(expectEmitted(outcome, ['OrderCancelled'])),
  },
  {
    consumer: 'orders',
    provider: 'payments',
    event: PaymentRefundFailed,
    what: 'the refund was refused',
    states: [state(shopStates.stockIsInsufficient), state(shopStates.refundsAreRefused)],
    arrange: orderExists,
    check: ordersOutcome(['OrderNeedsAttention'], 'needs_attention'),
  },
  {
    consumer: 'payments',
    provider: 'inventory',
    event: InventoryReservationFailed,
    what: 'stock was short, refund the payment',
    states: [state(shopStates.stockIsInsufficient)],
    check: (outcome) => Promise.resolve(expectEmitted(outcome, ['PaymentRefunded'])),
  },
  {
    consumer: 'orders',
    provider: 'inventory',
    event: InventoryReserved,
    what: 'the items were reserved',
    states: [],
    arrange: orderExists,
    check: ordersOutcome([], 'reserved'),
  },
  {
    consumer: 'shipping',
    provider: 'inventory',
    event: InventoryReserved,
    what: 'reserved items to ship (standard customer)',
    states: [],
    check: (outcome) => {
      expectEmitted(outcome, ['ShipmentScheduled']);
      return Promise.resolve(expectServiceLevel(outcome, 'standard'));
    },
  },
  {
    consumer: 'shipping',
    provider: 'inventory',
    event: InventoryReserved,
    what: 'reserved items to ship express (premium customer)',
    states: [state(shopStates.customerIsPremium)],
    payload: {
      ...InventoryReserved.example,
      customer: { ...InventoryReserved.example.customer, tier: 'premium' },
    },
    exact: ['$.payload.customer.tier'],
    check: (outcome) => {
      expectEmitted(outcome, ['ShipmentScheduled']);
      return Promise.resolve(expectServiceLevel(outcome, 'express'));
    },
  },
  {
    consumer: 'orders',
    provider: 'shipping',
    event: ShipmentScheduled,
    what: 'the order ships',
    states: [],
    arrange: orderExists,
    check: ordersOutcome([], 'shipped'),
  },
  {
    consumer: 'notifications',
    provider: 'shipping',
    event: ShipmentScheduled,
    what: 'confirm the shipment to the customer',
    states: [],
    check: (outcome) => Promise.resolve(expectTemplate(outcome, 'order-confirmation')),
  },
  {
    consumer: 'notifications',
    provider: 'orders',
    event: OrderCancelled,
    what: 'tell the customer the payment failed',
    states: [state(shopStates.cardIsDeclined)],
    check: (outcome) => Promise.resolve(expectTemplate(outcome, 'order-cancelled')),
  },
  {
    consumer: 'notifications',
    provider: 'orders',
    event: OrderCancelled,
    what: 'tell the customer the items were out of stock',
    states: [state(shopStates.stockIsInsufficient)],
    payload: { ...OrderCancelled.example, reason: 'out_of_stock' },
    check: (outcome) => Promise.resolve(expectTemplate(outcome, 'order-cancelled')),
  },
];

function expectServiceLevel(outcome: ProcessOutcome, level: string): void {
  const shipment = outcome.kind === 'ack' && outcome.status === 'handled' ? outcome.emitted[0] : undefined;
  if (shipment?.eventType !== ShipmentScheduled.type || shipment.payload.serviceLevel !== level) {
    throw new Error(`expected a ${level} shipment, got ${JSON.stringify(shipment)}`);
  }
}

function expectTemplate(outcome: ProcessOutcome, template: string): void {
  expectEmitted(outcome, [CustomerNotified.type]);
  const notified = outcome.kind === 'ack' && outcome.status === 'handled' ? outcome.emitted[0] : undefined;
  if (notified?.eventType !== CustomerNotified.type || notified.payload.template !== template) {
    throw new Error(`expected template ${template}, got ${JSON.stringify(notified)}`);
  }
}

/** The pact file name of a consumer/provider pair (pact-js's own naming). */
export function pactFileName(consumer: string, provider: string): string {
  return `${consumer}-${provider}.json`;
}

/** Edges grouped per pact file (consumer, provider). */
export function edgesByPact(): Map<string, ConsumerEdge[]> {
  const groups = new Map<string, ConsumerEdge[]>();
  for (const edge of shopConsumerEdges) {
    const key = pactFileName(edge.consumer, edge.provider);
    groups.set(key, [...(groups.get(key) ?? []), edge]);
  }
  return groups;
}
