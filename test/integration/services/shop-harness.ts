import { randomBytes } from 'node:crypto';
import { AmqpTransport } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import type { Delivery } from '../../../harness/transport/transport';
import { PostgresStore } from '../../../reference-services/kit/postgres-store';
import { deleteTopology } from '../../../reference-services/kit/delete-topology';
import { serviceNames } from '../../../reference-services/services';
import { startShop, type StartShopOptions, type StartedShop } from '../../../reference-services/shop';
import { exampleShippingAddress } from '../../../reference-services/events/common';

/** The address every fixture customer ships to. */
export const address = exampleShippingAddress;

export const customers = {
  ada: '0192f5a0-7c1e-7a3b-8d4e-00000000000a',
  bob: '0192f5a0-7c1e-7a3b-8d4e-00000000000b',
  premium: '0192f5a0-7c1e-7a3b-8d4e-00000000000c',
  refusal: '0192f5a0-7c1e-7a3b-8d4e-00000000000d',
} as const;

export const seed = {
  customers: [
    { customerId: customers.ada, tier: 'standard' as const, email: 'ada@example.com', address },
    { customerId: customers.bob, tier: 'standard' as const, email: 'bob@example.com', address },
    { customerId: customers.premium, tier: 'premium' as const, email: 'vip@example.com', address },
    { customerId: customers.refusal, tier: 'standard' as const, email: 'no@example.com', address },
  ],
  stock: { 'BOOK-001': 100_000, 'PEN-002': 3 },
};

export const gatewayRules = {
  declines: [{ customerId: customers.bob, reason: 'declined' as const }],
  refundFailures: [{ customerId: customers.refusal, reason: 'card expired' }],
};

export function items(sku: string, quantity: number, amountMinor = 1000) {
  return [{ sku, quantity, unitPrice: { amountMinor, currency: 'EUR' } }];
}

/** A shop on the real broker and database in its own namespace; `dispose` deletes queues, exchanges, schema. */
export interface ShopUnderTest {
  readonly shop: StartedShop;
  readonly transport: AmqpTransport;
  readonly store: PostgresStore;
  readonly connectionName: string;
  dispose(): Promise<void>;
}

export async function shopUnderTest(
  options: Partial<Omit<StartShopOptions, 'transport' | 'store' | 'namespace'>> = {},
): Promise<ShopUnderTest> {
  const namespace = `it_${randomBytes(5).toString('hex')}`;
  const name = connectionName('services-it');
  const transport = new AmqpTransport({ connectionName: name, onError: () => undefined });
  const store = await PostgresStore.open({ namespace, poolSize: 12 });
  const shop = await startShop({
    transport,
    store,
    namespace,
    gatewayRules,
    seed,
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    onError: () => undefined,
    ...options,
  });
  return {
    shop,
    transport,
    store,
    connectionName: name,
    async dispose() {
      await shop.stop();
      await transport.close();
      await deleteTopology(namespace, serviceNames);
      await store.dropSchema();
      await store.close();
    },
  };
}

/** Starts more services (e.g. a second instance of one) on an existing shop's transport, store and namespace. */
shopUnderTest.attach = (
  env: ShopUnderTest,
  options: Partial<Omit<StartShopOptions, 'transport' | 'store' | 'namespace'>>,
): Promise<StartedShop> =>
  startShop({
    transport: env.transport,
    store: env.store,
    namespace: env.shop.namespace,
    gatewayRules,
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    onError: () => undefined,
    ...options,
  });

/** Collects deliveries of a queue until `count` arrived or the deadline passes. */
export async function collect(
  transport: AmqpTransport,
  queue: string,
  count: number,
  timeoutMs = 20_000,
): Promise<Delivery[]> {
  const received: Delivery[] = [];
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  const subscription = await transport.consume(queue, (delivery) => {
    received.push(delivery);
    if (received.length >= count) done();
    return Promise.resolve('ack');
  });
  const timer = setTimeout(done, timeoutMs);
  await enough;
  clearTimeout(timer);
  await subscription.close();
  return received;
}
