import type { Customer, LineItem, Money, ShippingAddress } from '../events/common';
import { collection } from '../kit/collection';

/** Where an order is. Terminal: shipped, cancelled, needs_attention. Statuses only move forward. */
export type OrderStatus = 'placed' | 'paid' | 'reserved' | 'shipped' | 'cancelled' | 'needs_attention';

/** Rank of each status: an event never moves an order backwards (events may arrive out of order). */
export const orderStatusRank: Readonly<Record<OrderStatus, number>> = {
  placed: 0,
  paid: 1,
  reserved: 2,
  shipped: 3,
  cancelled: 3,
  needs_attention: 3,
};

/** Statuses an order never leaves. */
export const terminalOrderStatuses: readonly OrderStatus[] = ['shipped', 'cancelled', 'needs_attention'];

/** An order as the orders service keeps it (key: orderId). */
export interface OrderRecord {
  readonly orderId: string;
  readonly correlationId: string;
  readonly status: OrderStatus;
  readonly customer: Customer;
  readonly items: readonly LineItem[];
  readonly total: Money;
  readonly shippingAddress: ShippingAddress;
  readonly fraudScore: number;
  /** Why the order ended in cancelled / needs_attention. */
  readonly reason: string | null;
  readonly placedAt: string;
  readonly updatedAt: string;
}

/** A customer as the orders service knows it (seeded). */
export interface CustomerRecord {
  readonly customerId: string;
  readonly tier: Customer['tier'];
  readonly email: string;
  /** Default shipping address for orders that do not give one. */
  readonly address: ShippingAddress | null;
  readonly orderCount: number;
}

/** Orders by orderId. */
export const orders = collection<OrderRecord>('orders.orders');
/** Customers by customerId. */
export const customers = collection<CustomerRecord>('orders.customers');
