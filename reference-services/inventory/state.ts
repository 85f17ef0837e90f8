import { collection } from '../kit/collection';

/** Stock of one SKU. `available` never goes below zero. */
export interface StockRecord {
  readonly sku: string;
  readonly available: number;
  readonly reserved: number;
}

/** Units held for one order. */
export interface ReservationRecord {
  readonly reservationId: string;
  readonly orderId: string;
  readonly items: readonly { readonly sku: string; readonly quantity: number }[];
  readonly reservedAt: string;
}

/** Stock per SKU (key: the SKU). */
export const stock = collection<StockRecord>('inventory.stock');
/** Keyed by reservationId. */
export const reservations = collection<ReservationRecord>('inventory.reservations');
