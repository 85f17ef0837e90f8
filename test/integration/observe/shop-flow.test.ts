import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { FlowAssertionError } from '../../../harness/assert/assertion-error';
import { flow } from '../../../harness/assert/flow';
import { flowMatchers } from '../../../harness/assert/matchers';
import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { accountFlows, renderAccounting } from '../../../harness/observe/flow-accounting';
import { startTap, type StartedTap } from '../../../harness/observe/tap';
import { AmqpTransport } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { shopCatalog, terminalEventTypes } from '../../../reference-services/events/catalog';
import { PostgresStore } from '../../../reference-services/kit/postgres-store';
import { topologyNames } from '../../../reference-services/kit/topology';
import { serviceNames } from '../../../reference-services/services';
import { startShop, type StartedShop } from '../../../reference-services/shop';

expect.extend(flowMatchers);

const url = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const namespace = `it_obs_${randomBytes(4).toString('hex')}`;
const ada = '0192f5a0-7c1e-7a3b-8d4e-0000000000a1';
const bob = '0192f5a0-7c1e-7a3b-8d4e-0000000000b2'; // the gateway declines bob
const address = {
  name: 'Ada',
  line1: '1 Main St',
  line2: null,
  city: 'London',
  postalCode: 'N1',
  country: 'GB',
};
const items = [{ sku: 'BOOK-001', quantity: 1, unitPrice: { amountMinor: 1500, currency: 'EUR' } }];
const leafTypes = ['CustomerNotified', 'OrderNeedsAttention'];

describe('a real shop flow, observed black-box through the exchange', () => {
  let services: AmqpTransport;
  let observer: AmqpTransport;
  let store: PostgresStore;
  let shop: StartedShop;
  let tap: StartedTap;

  beforeAll(async () => {
    services = new AmqpTransport({
      url,
      connectionName: connectionName('it-observe-shop'),
      onError: () => undefined,
    });
    observer = new AmqpTransport({ url, connectionName: connectionName('it-observe-shop-tap') });
    store = await PostgresStore.open({ namespace, poolSize: 8 });
    shop = await startShop({
      transport: services,
      store,
      namespace,
      seed: {
        customers: [
          { customerId: ada, tier: 'standard', email: 'ada@example.com', address },
          { customerId: bob, tier: 'standard', email: 'bob@example.com', address },
        ],
        stock: { 'BOOK-001': 10 },
      },
      gatewayRules: { declines: [{ customerId: bob, reason: 'declined' }] },
      onError: () => undefined,
    });
    tap = await startTap({
      transport: observer,
      exchange: shop.names.exchange,
      adapter: troupeEnvelopeAdapter(),
    });
  });

  afterAll(async () => {
    await tap?.stop();
    await shop?.stop();
    await observer?.close();
    await services?.close();
    const names = topologyNames(namespace);
    const admin = new Connection({ url, connectionName: connectionName('it-observe-shop-cleanup') });
    for (const service of serviceNames) {
      await admin.queueDelete({ queue: names.queue(service) });
      await admin.queueDelete({ queue: names.deadLetterQueue(service) });
    }
    await admin.exchangeDelete({ exchange: names.exchange });
    await admin.exchangeDelete({ exchange: names.deadLetterExchange });
    await admin.close();
    await store?.dropSchema();
    await store?.close();
  });

  it('follows OrderPlaced → PaymentCompleted → InventoryReserved → ShipmentScheduled → CustomerNotified', async () => {
    const { correlationId } = await shop.placeOrder({ customerId: ada, items });
    const order = flow(tap.log, correlationId);
    await expect(order).toEventuallyFollowChain(
      ['OrderPlaced', 'PaymentCompleted', 'InventoryReserved', 'ShipmentScheduled', 'CustomerNotified'],
      { within: 15_000 },
    );
    await expect(order).toBecomeQuiescent({ idleFor: 500, within: 10_000, leafTypes });
    await expect(order).toEmitExactlyOnce('PaymentCompleted', { within: 1000, settle: 100 });
    await expect(order).toNeverEmit('OrderCancelled', { during: 200 });
    const graph = order.graph();
    expect(graph.nodes().map((n) => [n.eventType, n.service, n.depth])).toEqual([
      ['OrderPlaced', 'orders', 0],
      ['PaymentCompleted', 'payments', 1],
      ['InventoryReserved', 'inventory', 2],
      ['ShipmentScheduled', 'shipping', 3],
      ['CustomerNotified', 'notifications', 4],
    ]);
    const report = accountFlows(tap.log.byCorrelation(correlationId), {
      terminalTypes: terminalEventTypes,
      expectedFlows: [correlationId],
      knownTypes: shopCatalog.types(),
      atMostOnce: [...terminalEventTypes, 'PaymentCompleted'],
    });
    expect(renderAccounting(report)).toContain('flows 1: ok 1, lost 0, duplicated 0, unexpected 0');
  });

  it('a declined payment: the failing assertion shows what happened instead', async () => {
    const { correlationId } = await shop.placeOrder({ customerId: bob, items });
    const order = flow(tap.log, correlationId);
    await order.quiescent({ idleFor: 500, within: 10_000, leafTypes });
    let failure: unknown;
    try {
      await order.toReach('ShipmentScheduled', { within: 300 });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(FlowAssertionError);
    const message = (failure as FlowAssertionError).message;
    if (process.env['TROUPE_PRINT_FAILURE']) console.log(message); // how docs/assertions.md was captured
    expect(message).toContain(`Expected flow ${correlationId} to reach ShipmentScheduled within 300 ms`);
    expect(message).toContain('expected next: ShipmentScheduled');
    expect(message).toMatch(
      /0 +OrderPlaced +orders\n.* 1 +└ PaymentFailed +payments\n.* 2 + {2}└ OrderCancelled +orders\n.* 3 + {4}└ CustomerNotified +notifications/,
    );
  });
});
