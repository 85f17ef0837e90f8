import { Connection } from 'rabbitmq-client';
import { troupeEnvelopeAdapter } from '../../../events/envelope-adapter';
import type { BrokerTarget } from '../../../fuzz/broker/broker-target';
import { AmqpTransport } from '../../../transport/amqp/amqp-transport';
import { connectionName, ownConnectionPrefix } from '../../../transport/amqp/connection-name';
import type { KnownBug } from '../../../../reference-services/kit/bugs';
import { MemoryStore } from '../../../../reference-services/kit/memory-store';
import { topology } from '../../../../reference-services/kit/topology';
import { routingKeysOf, serviceNames } from '../../../../reference-services/services';
import { startShop, type StartedShop } from '../../../../reference-services/shop';
import {
  shopEventInvariants,
  shopStateInvariants,
  shopTerminalEvents,
} from '../../../../reference-services/target/shop-invariants';
import { shopCustomers, shopSkus } from '../../../../reference-services/target/shop-sim-target';

const address = {
  name: 'Grace Hopper',
  line1: '1 Navy Yard',
  line2: null,
  city: 'Arlington',
  postalCode: '22202',
  country: 'US',
};

/** Options of the live-broker shop target. */
export interface ShopBrokerTargetOptions {
  readonly bugs?: readonly KnownBug[];
  /** Stock per SKU; short stock sends later orders down the compensation path. Default 80 % of the flows. */
  readonly stockPerSku?: number;
  /** Prefetch per service (default 16). */
  readonly prefetch?: number;
}

/**
 * The five reference services in this process on RabbitMQ (one named AMQP connection the fuzzer may cut) with a
 * MemoryStore, under a unique namespace. Workload from the session's seeded random: customers (one always
 * declined, one whose refunds fail), one or two items, SKUs with limited stock so some orders are compensated.
 */
export function shopBrokerTarget(options: ShopBrokerTargetOptions = {}): BrokerTarget {
  const bugs = options.bugs ?? [];
  return {
    name: `shop${bugs.length > 0 ? ` [bug: ${bugs.join(', ')}]` : ''}`,
    adapter: troupeEnvelopeAdapter('orderId'),
    terminalTypes: shopTerminalEvents,
    atMostOnce: [...shopTerminalEvents, 'PaymentCompleted', 'PaymentRefunded', 'InventoryReserved'],
    invariants: [...shopEventInvariants, ...shopStateInvariants],
    async start({ url, namespace, random, flows }) {
      const purpose = `fuzz-services-${namespace}`;
      const transport = new AmqpTransport({
        url,
        connectionName: connectionName(purpose),
        onError: () => undefined,
        acquireTimeoutMs: 60_000,
      });
      await transport.connected();
      // A shop that fails to start (bad config, a failed declare) must not leave its connection or queues behind.
      let shop: StartedShop;
      try {
        const store = new MemoryStore({ namespace });
        const [declined, refundRefused] = [shopCustomers[1] as string, shopCustomers[2] as string];
        shop = await startShop({
          transport,
          store,
          namespace,
          bugs,
          ...(options.prefetch !== undefined ? { prefetch: options.prefetch } : {}),
          gatewayRules: {
            declines: [{ customerId: declined, minAmountMinor: 4_000, reason: 'declined' }],
            refundFailures: [{ customerId: refundRefused, reason: 'gateway refused refund' }],
          },
          seed: {
            customers: shopCustomers.map((customerId, index) => ({
              customerId,
              tier: index === 1 ? 'premium' : 'standard',
              email: `customer${index + 1}@example.com`,
              address,
            })),
            stock: Object.fromEntries(
              shopSkus.map((sku) => [sku, options.stockPerSku ?? Math.ceil(flows * 0.8)]),
            ),
          },
          onError: () => undefined,
        });
      } catch (error) {
        await transport.close().catch(() => undefined);
        await deleteTopology(url, namespace).catch(() => undefined);
        throw error;
      }
      return {
        exchange: shop.names.exchange,
        connectionPrefix: ownConnectionPrefix(purpose),
        async startFlow() {
          const items = Array.from({ length: random.int(1, 2) }, () => ({
            sku: random.pick(shopSkus),
            quantity: random.int(1, 3),
            unitPrice: { amountMinor: random.int(100, 3_000), currency: 'EUR' },
          }));
          const placed = await shop.placeOrder({
            customerId: random.pick(shopCustomers),
            items,
            fraudScore: random.chance(0.05) ? 0.95 : 0.01,
          });
          return { key: placed.orderId, correlationId: placed.correlationId };
        },
        state: () => shop.state(),
        async stop() {
          await shop.stop();
          await transport.close();
          await deleteTopology(url, namespace);
        },
      };
    },
  };
}

/** Deletes the namespace's queues and exchanges (they are durable). */
async function deleteTopology(url: string, namespace: string): Promise<void> {
  const plan = topology(
    namespace,
    serviceNames.map((name) => ({ name, bindings: routingKeysOf(name) })),
  );
  const admin = new Connection({ url, connectionName: connectionName('fuzz-admin') });
  admin.on('error', () => undefined);
  try {
    for (const queue of plan.queues) await admin.queueDelete({ queue: queue.name }).catch(() => undefined);
    for (const exchange of plan.exchanges)
      await admin.exchangeDelete({ exchange: exchange.name }).catch(() => undefined);
  } finally {
    await admin.close().catch(() => undefined);
  }
}
