import { reservations, stock, type ReservationRecord, type StockRecord } from './inventory/state';
import type { Store } from './kit/store';
import { notifications, type NotificationRecord } from './notifications/state';
import { orders, type OrderRecord } from './orders/state';
import { gatewayCharges, gatewayRefunds, type ChargeRecord, type RefundRecord } from './payments/gateway';
import { payments, type PaymentRecord } from './payments/state';
import { shipments, type ShipmentRecord } from './shipping/state';

/** Everything the invariants look at, read from committed state. */
export interface ShopState {
  readonly orders: readonly OrderRecord[];
  readonly stock: readonly StockRecord[];
  readonly reservations: readonly ReservationRecord[];
  readonly payments: readonly PaymentRecord[];
  /** The gateway's ledger: approved entries are money actually taken. */
  readonly charges: readonly ChargeRecord[];
  readonly refunds: readonly RefundRecord[];
  readonly shipments: readonly ShipmentRecord[];
  readonly notifications: readonly NotificationRecord[];
}

/** Reads the shop's committed state; pass `orderId` to keep only that order's records. */
export async function readShopState(store: Store, orderId?: string): Promise<ShopState> {
  const keep = <T extends { readonly orderId?: string }>(records: { value: T }[]): T[] =>
    records.map((entry) => entry.value).filter((value) => orderId === undefined || value.orderId === orderId);
  const charges = keep(await store.list(gatewayCharges));
  const chargeIds = new Set(charges.map((charge) => charge.chargeId));
  const refunds = (await store.list(gatewayRefunds))
    .map((entry) => entry.value)
    .filter((refund) => orderId === undefined || chargeIds.has(refund.chargeId));
  return {
    orders: keep(await store.list(orders)),
    stock: (await store.list(stock)).map((entry) => entry.value),
    reservations: keep(await store.list(reservations)),
    payments: keep(await store.list(payments)),
    charges,
    refunds,
    shipments: keep(await store.list(shipments)),
    notifications: keep(await store.list(notifications)),
  };
}
