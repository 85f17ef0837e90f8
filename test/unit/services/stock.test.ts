import { ServiceProcessor } from '../../../reference-services/kit/service-processor';
import { readShopState } from '../../../reference-services/shop-state';
import { inventoryService } from '../../../reference-services/inventory/handlers';
import { customers, items, memoryShop, processWithRetries } from './shop-fixture';

describe('inventory never oversells', () => {
  it('20 concurrent paid orders for the last 3 units: exactly 3 reserved, stock never negative', async () => {
    const shop = await memoryShop();
    for (let i = 0; i < 20; i++)
      await shop.placeOrder({ customerId: customers.ada, items: items('PEN-002', 1) });
    const placed = await shop.store.outbox();
    const paid = await Promise.all(placed.map((row) => processWithRetries(shop, 'payments', row.body)));
    const completed = paid.flatMap((outcome) =>
      outcome.kind === 'ack' && outcome.status === 'handled' ? outcome.emitted : [],
    );
    expect(completed).toHaveLength(20);
    // A second processor instance on the same store competes like a second process would.
    const rival = new ServiceProcessor({ service: inventoryService(), store: shop.store });
    const outcomes = await Promise.all(
      completed.map((event, i) =>
        i % 2 === 0
          ? processWithRetries(shop, 'inventory', JSON.stringify(event))
          : rival.process({ body: JSON.stringify(event) }),
      ),
    );
    const emitted = outcomes.flatMap((o) => (o.kind === 'ack' && o.status === 'handled' ? o.emitted : []));
    expect(emitted.filter((event) => event.eventType === 'InventoryReserved')).toHaveLength(3);
    expect(emitted.filter((event) => event.eventType === 'InventoryReservationFailed')).toHaveLength(17);
    const pen = (await readShopState(shop.store)).stock.find((row) => row.sku === 'PEN-002');
    expect(pen).toEqual({ sku: 'PEN-002', available: 0, reserved: 3 });
  });
});
