import type { Customer, Money } from '../events/common';
import { collection } from '../kit/collection';

/** A payment as the payments service records it. */
export interface PaymentRecord {
  readonly paymentId: string;
  readonly orderId: string;
  readonly customer: Customer;
  readonly amount: Money;
  readonly status: 'completed' | 'failed' | 'refunded' | 'refund_failed';
  readonly reason: string | null;
  readonly refundId: string | null;
  readonly updatedAt: string;
}

/** Keyed by paymentId (the gateway's chargeId, or a new id for a refused payment). */
export const payments = collection<PaymentRecord>('payments.payments');
