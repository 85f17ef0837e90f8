import { UnprocessableEventError } from '../kit/errors';
import type { ServiceDefinition, HandlerContext } from '../kit/service-definition';
import { orders, orderStatusRank, terminalOrderStatuses, type OrderRecord, type OrderStatus } from './state';

/**
 * The orders service's reactions: it tracks each order's progress and ends failed flows. It emits the cancel and
 * needs-attention terminal events, each at most once per order (a terminal order never changes again).
 */
export function ordersService(): ServiceDefinition {
  // Every reaction advances its order: the order row is the one row each locks.
  const orderRow = (event: { readonly payload: { readonly orderId: string } }) => [
    { collection: orders, key: event.payload.orderId },
  ];
  return {
    name: 'orders',
    locks: {
      PaymentCompleted: orderRow,
      InventoryReserved: orderRow,
      ShipmentScheduled: orderRow,
      PaymentFailed: orderRow,
      PaymentRefunded: orderRow,
      PaymentRefundFailed: orderRow,
    },
    handlers: {
      PaymentCompleted: async (event, context) => {
        await advance(context, event.payload.orderId, 'paid', null);
      },
      InventoryReserved: async (event, context) => {
        await advance(context, event.payload.orderId, 'reserved', null);
      },
      ShipmentScheduled: async (event, context) => {
        await advance(context, event.payload.orderId, 'shipped', null);
      },
      PaymentFailed: async (event, context) => {
        const order = await advance(context, event.payload.orderId, 'cancelled', event.payload.reason);
        if (order) {
          context.emit('OrderCancelled', {
            orderId: order.orderId,
            customer: order.customer,
            reason: 'payment_failed',
          });
        }
      },
      PaymentRefunded: async (event, context) => {
        const order = await advance(context, event.payload.orderId, 'cancelled', 'out_of_stock');
        if (order) {
          context.emit('OrderCancelled', {
            orderId: order.orderId,
            customer: order.customer,
            reason: 'out_of_stock',
          });
        }
      },
      PaymentRefundFailed: async (event, context) => {
        const reason = `refund failed: ${event.payload.reason}`;
        const order = await advance(context, event.payload.orderId, 'needs_attention', reason);
        // Terminal, no compensation loop: a person takes over.
        if (order) context.emit('OrderNeedsAttention', { orderId: order.orderId, reason });
      },
    },
  };
}

/**
 * Moves the order to `status` when that is forward progress; returns the updated order, or undefined when the
 * order is already there or beyond (nothing to do, nothing to emit).
 */
async function advance(
  context: HandlerContext,
  orderId: string,
  status: OrderStatus,
  reason: string | null,
): Promise<OrderRecord | undefined> {
  const order = await context.tx.get(orders, orderId, { forUpdate: true });
  // The order row commits with OrderPlaced, before any reaction can exist: an unknown order is not transient.
  if (!order) throw new UnprocessableEventError(`unknown order ${orderId}`);
  if (terminalOrderStatuses.includes(order.status)) return undefined;
  if (orderStatusRank[status] <= orderStatusRank[order.status]) return undefined;
  const updated: OrderRecord = { ...order, status, reason, updatedAt: context.now().toISOString() };
  await context.tx.put(orders, orderId, updated);
  return updated;
}
