import { invariant, type Invariant } from '../../harness/fuzz/invariant';

/** The shop's terminal events: exactly one per order. */
export const shopTerminalEvents = ['ShipmentScheduled', 'OrderCancelled', 'OrderNeedsAttention'] as const;

/**
 * The reference shop's invariants over emitted events — black-box, so the same list serves the simulator and the
 * live-broker mode: one terminal event per order (which also means every flow ended), no double charge, no double
 * shipment, refunds ≤ charges.
 */
export const shopEventInvariants: readonly Invariant[] = [
  invariant.exactlyOne(shopTerminalEvents).per('orderId'),
  invariant.atMostOne('PaymentCompleted').per('orderId'),
  invariant.atMostOne('ShipmentScheduled').per('orderId'),
  invariant.atMostOne('PaymentRefunded').per('orderId'),
  invariant
    .sumOf('PaymentRefunded', 'amount.amountMinor')
    .atMost('PaymentCompleted', 'amount.amountMinor')
    .per('orderId'),
];

/** The part of the shop's state the state invariants read (see `readShopState`). */
export interface ShopInvariantState {
  readonly stock: readonly { readonly sku: string; readonly available: number; readonly reserved: number }[];
  readonly reservations: readonly {
    readonly orderId: string;
    readonly items: readonly { readonly sku: string; readonly quantity: number }[];
  }[];
  readonly charges: readonly {
    readonly orderId: string;
    readonly chargeId: string;
    readonly status: string;
    readonly amount: { readonly amountMinor: number };
  }[];
  readonly refunds: readonly {
    readonly chargeId: string;
    readonly status: string;
    readonly amount: { readonly amountMinor: number };
  }[];
  readonly shipments: readonly { readonly orderId: string }[];
}

/** Invariants over the shop's final state (white-box: the simulator reads the store). */
export const shopStateInvariants: readonly Invariant[] = [
  invariant.that('stock never negative', ({ state }) =>
    (state as ShopInvariantState).stock
      .filter((s) => s.available < 0 || s.reserved < 0)
      .map((s) => `${s.sku}: available ${s.available}, reserved ${s.reserved}`),
  ),
  // A lost update (two reservations read the same stock row without a lock) shows here even when no count is negative.
  invariant.that('reserved stock = units of the reservations', ({ state }) => {
    const { stock, reservations } = state as ShopInvariantState;
    const units = new Map<string, number>();
    for (const reservation of reservations) {
      for (const item of reservation.items) units.set(item.sku, (units.get(item.sku) ?? 0) + item.quantity);
    }
    return stock
      .filter((s) => s.reserved !== (units.get(s.sku) ?? 0))
      .map((s) => `${s.sku}: reserved ${s.reserved}, but the reservations hold ${units.get(s.sku) ?? 0}`);
  }),
  invariant.that('no double charge (gateway ledger)', ({ state }) => {
    const approved = countBy(
      (state as ShopInvariantState).charges.filter((c) => c.status === 'approved'),
      (c) => c.orderId,
    );
    return [...approved]
      .filter(([, n]) => n > 1)
      .map(([orderId, n]) => `orderId ${orderId}: ${n} approved charges`);
  }),
  invariant.that('no double shipment (shipping state)', ({ state }) => {
    const shipped = countBy((state as ShopInvariantState).shipments, (s) => s.orderId);
    return [...shipped].filter(([, n]) => n > 1).map(([orderId, n]) => `orderId ${orderId}: ${n} shipments`);
  }),
  invariant.that('refunds ≤ charges (gateway ledger)', ({ state }) => {
    const { charges, refunds } = state as ShopInvariantState;
    const charged = new Map(charges.filter((c) => c.status === 'approved').map((c) => [c.chargeId, c]));
    const refunded = new Map<string, number>();
    for (const r of refunds) {
      if (r.status === 'refunded')
        refunded.set(r.chargeId, (refunded.get(r.chargeId) ?? 0) + r.amount.amountMinor);
    }
    return [...refunded]
      .filter(([chargeId, sum]) => sum > (charged.get(chargeId)?.amount.amountMinor ?? 0))
      .map(
        ([chargeId, sum]) =>
          `charge ${chargeId}: refunded ${sum} > charged ${charged.get(chargeId)?.amount.amountMinor ?? 0}`,
      );
  }),
];

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
