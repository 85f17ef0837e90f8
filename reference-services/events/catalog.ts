import { z } from 'zod';
import { defineEvent } from '../../harness/events/define-event';
import { EventCatalog, type EventOf } from '../../harness/events/event-catalog';
import { customer, exampleShippingAddress, lineItem, money, reservedItem, shippingAddress } from './common';

/**
 * The shop's event catalog: the single source of truth for every event the five services exchange.
 * Payloads carry what consumers need so that no consumer ever calls back; no card data ever.
 */

const exampleOrderId = '0192f5a0-7c1e-7a3b-8d4e-1f2a3b4c5d6e';
const exampleCustomer = {
  customerId: '0192f5a0-7c1e-7a3b-8d4e-aaaaaaaaaaaa',
  tier: 'standard' as const,
  email: 'ada@example.com',
  isFirstOrder: true,
};
const exampleItems = [{ sku: 'BOOK-001', quantity: 2, unitPrice: { amountMinor: 1250, currency: 'EUR' } }];
const exampleTotal = { amountMinor: 2500, currency: 'EUR' };
const examplePaymentId = '0192f5a0-7c1e-7a3b-8d4e-bbbbbbbbbbbb';

/** OrderPlaced 1.0, kept in the history so compatibility is checked and 1.0 consumers are still verified. */
const orderPlacedV1_0 = z.object({
  orderId: z.uuid(),
  customer,
  items: z.array(lineItem).min(1),
  total: money,
  shippingAddress,
  /** 0 (safe) .. 1 (certain fraud), from the storefront's risk check. */
  fraudScore: z.number().min(0).max(1),
});

export const OrderPlaced = defineEvent({
  type: 'OrderPlaced',
  version: '1.1',
  producer: 'orders',
  routingKey: 'orders.order.placed',
  description: 'A customer placed an order; starts the flow.',
  /** 1.1 (additive, BACKWARD/FORWARD compatible): the optional channel the order came through. */
  payload: orderPlacedV1_0.extend({
    salesChannel: z.enum(['web', 'mobile', 'store']).optional(),
  }),
  history: [{ version: '1.0', payload: orderPlacedV1_0 }],
  example: {
    orderId: exampleOrderId,
    customer: exampleCustomer,
    items: exampleItems,
    total: exampleTotal,
    shippingAddress: exampleShippingAddress,
    fraudScore: 0.05,
  },
});

export const PaymentCompleted = defineEvent({
  type: 'PaymentCompleted',
  version: '1.0',
  producer: 'payments',
  routingKey: 'payments.payment.completed',
  description: 'The order total was charged.',
  payload: z.object({
    orderId: z.uuid(),
    paymentId: z.uuid(),
    amount: money,
    customer,
    items: z.array(lineItem).min(1),
    shippingAddress,
  }),
  example: {
    orderId: exampleOrderId,
    paymentId: examplePaymentId,
    amount: exampleTotal,
    customer: exampleCustomer,
    items: exampleItems,
    shippingAddress: exampleShippingAddress,
  },
});

export const PaymentFailed = defineEvent({
  type: 'PaymentFailed',
  version: '1.0',
  producer: 'payments',
  routingKey: 'payments.payment.failed',
  description: 'The charge was declined or refused for fraud; the order will be cancelled.',
  payload: z.object({
    orderId: z.uuid(),
    amount: money,
    reason: z.enum(['declined', 'insufficient_funds', 'fraud_suspected']),
  }),
  example: { orderId: exampleOrderId, amount: exampleTotal, reason: 'declined' },
});

export const InventoryReserved = defineEvent({
  type: 'InventoryReserved',
  version: '1.0',
  producer: 'inventory',
  routingKey: 'inventory.reservation.reserved',
  description: 'Every item of the order is reserved.',
  payload: z.object({
    orderId: z.uuid(),
    reservationId: z.uuid(),
    items: z.array(reservedItem).min(1),
    customer,
    shippingAddress,
  }),
  example: {
    orderId: exampleOrderId,
    reservationId: '0192f5a0-7c1e-7a3b-8d4e-cccccccccccc',
    items: [{ sku: 'BOOK-001', quantity: 2 }],
    customer: exampleCustomer,
    shippingAddress: exampleShippingAddress,
  },
});

export const InventoryReservationFailed = defineEvent({
  type: 'InventoryReservationFailed',
  version: '1.0',
  producer: 'inventory',
  routingKey: 'inventory.reservation.failed',
  description: 'Stock was short for at least one item; nothing was reserved. The payment must be refunded.',
  payload: z.object({
    orderId: z.uuid(),
    paymentId: z.uuid(),
    amount: money,
    shortages: z
      .array(
        z.object({
          sku: z.string(),
          requested: z.number().int().positive(),
          available: z.number().int().nonnegative(),
        }),
      )
      .min(1),
  }),
  example: {
    orderId: exampleOrderId,
    paymentId: examplePaymentId,
    amount: exampleTotal,
    shortages: [{ sku: 'BOOK-001', requested: 2, available: 1 }],
  },
});

export const PaymentRefunded = defineEvent({
  type: 'PaymentRefunded',
  version: '1.0',
  producer: 'payments',
  routingKey: 'payments.payment.refunded',
  description: 'A completed payment was refunded (compensation for a failed reservation).',
  payload: z.object({ orderId: z.uuid(), paymentId: z.uuid(), refundId: z.uuid(), amount: money }),
  example: {
    orderId: exampleOrderId,
    paymentId: examplePaymentId,
    refundId: '0192f5a0-7c1e-7a3b-8d4e-dddddddddddd',
    amount: exampleTotal,
  },
});

export const PaymentRefundFailed = defineEvent({
  type: 'PaymentRefundFailed',
  version: '1.0',
  producer: 'payments',
  routingKey: 'payments.payment.refund-failed',
  description: 'The refund was refused by the gateway; a person must look at the order. No retry loop.',
  payload: z.object({ orderId: z.uuid(), paymentId: z.uuid(), amount: money, reason: z.string().min(1) }),
  example: {
    orderId: exampleOrderId,
    paymentId: examplePaymentId,
    amount: exampleTotal,
    reason: 'gateway refused refund',
  },
});

export const OrderCancelled = defineEvent({
  type: 'OrderCancelled',
  version: '1.0',
  producer: 'orders',
  routingKey: 'orders.order.cancelled',
  description: 'Terminal: the order will not be fulfilled.',
  payload: z.object({
    orderId: z.uuid(),
    customer,
    reason: z.enum(['payment_failed', 'out_of_stock']),
  }),
  example: { orderId: exampleOrderId, customer: exampleCustomer, reason: 'payment_failed' },
});

export const OrderNeedsAttention = defineEvent({
  type: 'OrderNeedsAttention',
  version: '1.0',
  producer: 'orders',
  routingKey: 'orders.order.needs-attention',
  description: 'Terminal: compensation failed (refund refused); the order waits for a person.',
  payload: z.object({ orderId: z.uuid(), reason: z.string().min(1) }),
  example: { orderId: exampleOrderId, reason: 'refund failed: gateway refused refund' },
});

export const ShipmentScheduled = defineEvent({
  type: 'ShipmentScheduled',
  version: '1.0',
  producer: 'shipping',
  routingKey: 'shipping.shipment.scheduled',
  description: 'Terminal (happy path): the reserved items will ship.',
  payload: z.object({
    orderId: z.uuid(),
    shipmentId: z.uuid(),
    items: z.array(reservedItem).min(1),
    shippingAddress,
    customer,
    serviceLevel: z.enum(['standard', 'express']),
    estimatedDelivery: z.iso.date(),
  }),
  example: {
    orderId: exampleOrderId,
    shipmentId: '0192f5a0-7c1e-7a3b-8d4e-eeeeeeeeeeee',
    items: [{ sku: 'BOOK-001', quantity: 2 }],
    shippingAddress: exampleShippingAddress,
    customer: exampleCustomer,
    serviceLevel: 'standard',
    estimatedDelivery: '2026-12-01',
  },
});

export const CustomerNotified = defineEvent({
  type: 'CustomerNotified',
  version: '1.0',
  producer: 'notifications',
  routingKey: 'notifications.customer.notified',
  description: 'The customer was told the outcome (shipment confirmation or cancellation notice).',
  payload: z.object({
    orderId: z.uuid(),
    customerId: z.uuid(),
    email: z.email(),
    template: z.enum(['order-confirmation', 'order-cancelled']),
  }),
  example: {
    orderId: exampleOrderId,
    customerId: exampleCustomer.customerId,
    email: exampleCustomer.email,
    template: 'order-confirmation',
  },
});

/** The shop's event catalog: the single source of truth for types, validation, pacts and AsyncAPI. */
export const shopCatalog = new EventCatalog([
  OrderPlaced,
  PaymentCompleted,
  PaymentFailed,
  InventoryReserved,
  InventoryReservationFailed,
  PaymentRefunded,
  PaymentRefundFailed,
  OrderCancelled,
  OrderNeedsAttention,
  ShipmentScheduled,
  CustomerNotified,
] as const);

/** Any event of the shop. */
export type ShopEvent = EventOf<typeof shopCatalog.definitions>;
/** The name of a shop event type. */
export type ShopEventType = ShopEvent['eventType'];

/** Events that end a flow: exactly one per order. */
export const terminalEventTypes: readonly ShopEventType[] = [
  'ShipmentScheduled',
  'OrderCancelled',
  'OrderNeedsAttention',
];
