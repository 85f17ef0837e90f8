import type { ServiceDefinition } from '../kit/service-definition';
import type { PaymentGateway } from './gateway';
import { payments } from './state';

/**
 * The payments service: charges placed orders through the gateway (the incoming eventId is the idempotency key, so
 * a redelivered or retried OrderPlaced never charges twice) and refunds when inventory could not reserve.
 */
export function paymentsService(options: {
  readonly gateway: PaymentGateway;
  readonly fraudThreshold: number;
}): ServiceDefinition {
  const { gateway, fraudThreshold } = options;
  return {
    name: 'payments',
    locks: {
      InventoryReservationFailed: (event) => [{ collection: payments, key: event.payload.paymentId }],
    },
    // A charge writes only its own payment row (a new id) and calls the gateway: a batch's charges overlap.
    concurrent: ['OrderPlaced'],
    handlers: {
      OrderPlaced: async (event, context) => {
        const { orderId, customer, total, items, shippingAddress, fraudScore } = event.payload;
        const now = context.now().toISOString();
        if (fraudScore > fraudThreshold) {
          const paymentId = context.newId();
          await context.tx.put(payments, paymentId, {
            paymentId,
            orderId,
            customer,
            amount: total,
            status: 'failed',
            reason: 'fraud_suspected',
            refundId: null,
            updatedAt: now,
          });
          context.emit('PaymentFailed', { orderId, amount: total, reason: 'fraud_suspected' });
          return;
        }
        // The known bug forgets the idempotency key: a redelivery charges again.
        const idempotencyKey = context.bugs.has('payment-not-idempotent') ? context.newId() : event.eventId;
        const charge = await gateway.charge({
          idempotencyKey,
          chargeId: context.newId(),
          orderId,
          customerId: customer.customerId,
          amount: total,
        });
        if (charge.status === 'declined') {
          await context.tx.put(payments, charge.chargeId, {
            paymentId: charge.chargeId,
            orderId,
            customer,
            amount: total,
            status: 'failed',
            reason: charge.reason,
            refundId: null,
            updatedAt: now,
          });
          context.emit('PaymentFailed', { orderId, amount: total, reason: charge.reason ?? 'declined' });
          return;
        }
        await context.tx.put(payments, charge.chargeId, {
          paymentId: charge.chargeId,
          orderId,
          customer,
          amount: total,
          status: 'completed',
          reason: null,
          refundId: null,
          updatedAt: now,
        });
        context.emit('PaymentCompleted', {
          orderId,
          paymentId: charge.chargeId,
          amount: total,
          customer,
          items,
          shippingAddress,
        });
      },
      InventoryReservationFailed: async (event, context) => {
        const { orderId, paymentId, amount } = event.payload;
        const payment = await context.tx.get(payments, paymentId, { forUpdate: true });
        const refund = await gateway.refund({
          idempotencyKey: event.eventId,
          refundId: context.newId(),
          chargeId: paymentId,
          customerId: payment?.customer.customerId ?? '',
          amount,
        });
        if (payment) {
          await context.tx.put(payments, paymentId, {
            ...payment,
            status: refund.status === 'refunded' ? 'refunded' : 'refund_failed',
            reason: refund.reason,
            refundId: refund.refundId,
            updatedAt: context.now().toISOString(),
          });
        }
        if (refund.status === 'refunded') {
          context.emit('PaymentRefunded', { orderId, paymentId, refundId: refund.refundId, amount });
        } else {
          context.emit('PaymentRefundFailed', {
            orderId,
            paymentId,
            amount,
            reason: refund.reason ?? 'refund refused',
          });
        }
      },
    },
  };
}
