/**
 * Runs the shop on a PGliteStore and prints what happened as JSON. Spawned by pglite-store.test.ts: PGlite's
 * Emscripten loader needs dynamic import(), which Jest's CommonJS VM refuses without --experimental-vm-modules.
 */
import { shopCatalog } from '../../../reference-services/events/catalog';
import { PGliteStore } from '../../../reference-services/kit/pglite-store';
import { consumersOf } from '../../../reference-services/services';
import { readShopState } from '../../../reference-services/shop-state';
import { commandFor, verificationCustomers } from '../../../reference-services/verification';
import { createShopProcessors } from '../../../reference-services/shop-processors';
import { startShop } from '../../../reference-services/shop';
import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';

const address = { name: 'A', line1: 'B', line2: null, city: 'C', postalCode: 'D', country: 'GB' };

async function main(): Promise<void> {
  const store = await PGliteStore.open({ namespace: 'pglite_check' });
  await store.migrate(); // idempotent
  const shop = createShopProcessors({
    store,
    gatewayRules: { declines: [{ customerId: verificationCustomers.declined, reason: 'declined' }] },
  });
  await shop.seed({
    customers: [
      { customerId: verificationCustomers.standard, tier: 'standard', email: 'a@example.com', address: null },
      { customerId: verificationCustomers.declined, tier: 'standard', email: 'b@example.com', address: null },
    ],
    stock: { 'BOOK-001': 10, 'RARE-001': 0 },
  });
  let notified = 0;
  store.onOutboxWritten(() => notified++);
  for (const path of ['happy', 'declined', 'out-of-stock'] as const) {
    await shop.placeOrder({ ...commandFor(path), shippingAddress: address });
  }
  const outcomes: string[] = [];
  for (;;) {
    // PGlite has one connection: the relay's transaction must end before consumers can run theirs.
    const published: { eventType: string; body: string }[] = [];
    const count = await store.relayOutbox(50, (rows) => {
      published.push(...rows);
      return Promise.resolve(rows.map((row) => row.id));
    });
    if (count === 0) break;
    for (const row of published) {
      for (const service of consumersOf(row.eventType)) {
        // Every message twice: the second must be a duplicate.
        for (let copy = 0; copy < 2; copy++) {
          const outcome = await shop.processors[service].process({ body: row.body });
          outcomes.push(outcome.kind === 'ack' ? outcome.status : outcome.kind);
        }
      }
    }
  }
  // The runtime path on PGlite: startShop with relay, runtimes and consumer batching, on the in-memory transport
  // (what a machine with neither PostgreSQL nor RabbitMQ runs).
  const runtimeStore = await PGliteStore.open({ namespace: 'pglite_runtime' });
  const transport = new InMemoryTransport();
  const running = await startShop({
    transport,
    store: runtimeStore,
    namespace: 'pglite',
    gatewayRules: { declines: [{ customerId: verificationCustomers.declined, reason: 'declined' }] },
    seed: {
      customers: [
        { customerId: verificationCustomers.standard, tier: 'standard', email: 'a@example.com', address },
        { customerId: verificationCustomers.declined, tier: 'standard', email: 'b@example.com', address },
      ],
      stock: { 'BOOK-001': 10, 'RARE-001': 0 },
    },
  });
  const placed = await Promise.all(
    (['happy', 'declined', 'out-of-stock'] as const).map((path) => running.placeOrder(commandFor(path))),
  );
  const runtimeStatuses = (
    await Promise.all(placed.map((order) => running.waitForTerminal(order.orderId, 30_000)))
  ).map((order) => order.status);
  await running.stop();
  await transport.close();
  await runtimeStore.close();

  const state = await readShopState(store);
  const types = (await store.outbox()).map((row) => shopCatalog.decodeOrThrow(row.body).eventType);
  console.log(
    JSON.stringify({
      statuses: state.orders.map((order) => order.status).sort(),
      charges: state.charges.filter((charge) => charge.status === 'approved').length,
      book: state.stock.find((row) => row.sku === 'BOOK-001'),
      handled: outcomes.filter((o) => o === 'handled').length,
      duplicates: outcomes.filter((o) => o === 'duplicate').length,
      types,
      notified: notified > 0,
      runtimeStatuses,
    }),
  );
  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
