import type { Store } from '../kit/store';
import type { ServiceDefinition } from '../kit/service-definition';
import { reservations, stock } from './state';
import { ServiceError } from '../kit/errors';

/**
 * The inventory service: reserves every item of a paid order or none. Stock rows are locked in SKU order (no
 * deadlock between two orders) and checked under the lock, so stock never goes negative however many orders race
 * for the last units.
 */
export function inventoryService(): ServiceDefinition {
  return {
    name: 'inventory',
    locks: {
      PaymentCompleted: (event) => event.payload.items.map((item) => ({ collection: stock, key: item.sku })),
    },
    handlers: {
      PaymentCompleted: async (event, context) => {
        const { orderId, paymentId, amount, items, customer, shippingAddress } = event.payload;
        const wanted = new Map<string, number>();
        for (const item of items) wanted.set(item.sku, (wanted.get(item.sku) ?? 0) + item.quantity);
        const skus = [...wanted.keys()].sort();
        const rows = [];
        const shortages = [];
        for (const sku of skus) {
          const row = await context.tx.get(stock, sku, { forUpdate: true });
          const requested = wanted.get(sku) ?? 0;
          const available = row?.available ?? 0;
          if (available < requested) shortages.push({ sku, requested, available });
          rows.push({ sku, requested, row: row ?? { sku, available: 0, reserved: 0 } });
        }
        if (shortages.length > 0) {
          context.emit('InventoryReservationFailed', { orderId, paymentId, amount, shortages });
          return;
        }
        for (const { sku, requested, row } of rows) {
          await context.tx.put(stock, sku, {
            sku,
            available: row.available - requested,
            reserved: row.reserved + requested,
          });
        }
        const reservationId = context.newId();
        const reserved = skus.map((sku) => ({ sku, quantity: wanted.get(sku) ?? 0 }));
        await context.tx.put(reservations, reservationId, {
          reservationId,
          orderId,
          items: reserved,
          reservedAt: context.now().toISOString(),
        });
        context.emit('InventoryReserved', {
          orderId,
          reservationId,
          items: reserved,
          customer,
          shippingAddress,
        });
      },
    },
  };
}

/** Sets the available stock of SKUs (replacing it; reserved counts are kept). */
export async function seedStock(store: Store, levels: Readonly<Record<string, number>>): Promise<void> {
  await store.transaction(async (tx) => {
    for (const sku of Object.keys(levels).sort()) {
      const available = levels[sku] ?? 0;
      if (!Number.isInteger(available) || available < 0) {
        throw new ServiceError(
          'invalid-config',
          `seedStock: stock of ${sku} must be a non-negative integer, got ${available}`,
        );
      }
      const existing = await tx.get(stock, sku, { forUpdate: true });
      await tx.put(stock, sku, { sku, available, reserved: existing?.reserved ?? 0 });
    }
  });
}
