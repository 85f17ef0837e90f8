import { troupeEnvelopeAdapter } from '../../harness/events/envelope-adapter';
import { markInjected } from '../../harness/observe/injected-message';
import type { StartedTarget, Target, TargetService } from '../../harness/target/target';
import { TargetError } from '../../harness/target/target-error';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../harness/transport/amqp/amqp-transport';
import { connectionName, ownConnectionPrefix } from '../../harness/transport/amqp/connection-name';
import type { Transport } from '../../harness/transport/transport';
import { exampleShippingAddress } from '../events/common';
import type { KnownBug } from '../kit/bugs';
import { deleteTopology } from '../kit/delete-topology';
import { MemoryStore } from '../kit/memory-store';
import { serviceNames } from '../services';
import { startShop, type StartedShop } from '../shop';
import { routedAmqpTransport } from './routed-amqp-transport';
import { shopEventInvariants, shopStateInvariants, shopTerminalEvents } from './shop-invariants';
import { shopCustomers, shopSkus } from './shop-sim-target';

/** Options of the live-broker shop target. */
export interface ShopBrokerTargetOptions {
  readonly bugs?: readonly KnownBug[];
  /** Stock per SKU; short stock sends later orders down the compensation path. Default 80 % of the flows. */
  readonly stockPerSku?: number;
  /** Prefetch per service (default 16). */
  readonly prefetch?: number;
}

/**
 * The reference shop as a Target for live-broker fuzzing: the five services in this process on RabbitMQ (one
 * named AMQP connection the fuzzer may cut through `connectionPrefix`) with a MemoryStore, under the run's
 * namespace. With a `router` (the chaos proxy) each service and the outbox relay get a connection of their own
 * through it, listed in `services` (in process: only `cut()`, through the router), and there is no
 * `connectionPrefix`. Workload from the run's seeded random: customers (one always declined, one whose refunds
 * fail), one or two items, SKUs with limited stock so some orders are compensated. White-box: `state()` for the state
 * invariants.
 */
export function shopBrokerTarget(options: ShopBrokerTargetOptions = {}): Target {
  const bugs = options.bugs ?? [];
  const adapter = troupeEnvelopeAdapter('orderId');
  const target: Target = {
    name: `shop${bugs.length > 0 ? ` [bug: ${bugs.join(', ')}]` : ''}`,
    adapter,
    serviceNames: [],
    flows: [
      {
        name: 'order',
        keyPath: 'orderId',
        terminalTypes: shopTerminalEvents,
        atMostOnce: [...shopTerminalEvents, 'PaymentCompleted', 'PaymentRefunded', 'InventoryReserved'],
        invariants: [...shopEventInvariants, ...shopStateInvariants],
      },
    ],
    async start({ brokerUrl, namespace, random, flows, router }) {
      const url = brokerUrl ?? process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
      const purpose = `fuzz-services-${namespace}`;
      const transport = new AmqpTransport({
        url,
        connectionName: connectionName(purpose),
        onError: () => undefined,
        acquireTimeoutMs: 60_000,
      });
      await transport.connected();
      // Routed (the chaos proxy): each service and the outbox relay on a connection of its own, through its URL.
      const routed = new Map<string, AmqpTransport>();
      const routedUrls = new Map<string, string>();
      if (router) {
        for (const role of [...serviceNames, 'relay'] as const) {
          const own = await routedAmqpTransport(router, role, url, purpose);
          routedUrls.set(role, own.url);
          routed.set(role, own.transport);
        }
      }
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
          ...(router ? { transportFor: (role) => routed.get(role) ?? transport } : {}),
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
              address: exampleShippingAddress,
            })),
            stock: Object.fromEntries(
              shopSkus.map((sku) => [sku, options.stockPerSku ?? Math.ceil((flows ?? 50) * 0.8)]),
            ),
          },
          onError: () => undefined,
        });
      } catch (error) {
        await Promise.allSettled([...routed.values()].map((t) => t.close()));
        await transport.close().catch(() => undefined);
        await deleteTopology(namespace, serviceNames, url).catch(() => undefined);
        throw error;
      }
      const transports: Transport[] = [];
      const open = (connectionPurpose: string): AmqpTransport => {
        const opened = new AmqpTransport({
          url,
          connectionName: connectionName(connectionPurpose),
          onError: () => undefined,
          acquireTimeoutMs: 60_000,
        });
        transports.push(opened);
        return opened;
      };
      let stopping: Promise<void> | undefined;
      const stop = (): Promise<void> =>
        (stopping ??= (async () => {
          await shop.stop();
          await Promise.allSettled([...routed.values()].map((t) => t.close()));
          await transport.close();
          await Promise.allSettled(transports.map((t) => t.close()));
          await deleteTopology(namespace, serviceNames, url);
        })());
      const services: TargetService[] = router
        ? [...routed.keys()].map((role) => routedService(role, router.cut.bind(router), routedUrls.get(role)))
        : [];
      const started: StartedTarget = {
        target,
        brokerUrl: url,
        vhost: '/',
        exchanges: [{ name: shop.names.exchange, type: 'topic' }],
        directQueues: [],
        adapter,
        services,
        service(name) {
          const found = services.find((service) => service.name === name);
          if (found) return found;
          throw new TargetError(
            'unknown-service',
            services.length > 0
              ? `unknown service "${name}": the shop's services are ${services.map((s) => s.name).join(', ')}`
              : `unknown service "${name}": the shop's broker target runs its services in process (cut them with connectionPrefix)`,
          );
        },
        openTransport: open,
        // Routed, the services' connections go through the proxy: cut them there (`services[i].cut()`).
        ...(router ? {} : { connectionPrefix: ownConnectionPrefix(purpose) }),
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
          return { flow: 'order', key: placed.orderId, correlationId: placed.correlationId };
        },
        async publish(exchange, message, reason = 'test') {
          await transport.publish(exchange, { ...message, headers: markInjected(message.headers, reason) });
        },
        failure: () => undefined,
        state: () => shop.state(),
        stop,
        [Symbol.asyncDispose]: stop,
      };
      return started;
    },
  };
  return target;
}

/** One in-process shop service (or the relay) on its own routed connection: only `cut()` does anything. */
function routedService(
  name: string,
  cut: (service: string) => Promise<string>,
  brokerUrl: string | undefined,
): TargetService {
  const notManaged = (): Promise<never> =>
    Promise.reject(
      new TargetError('not-managed', `${name} runs in the shop's process: it can only be cut`, {
        service: name,
      }),
    );
  return {
    name,
    external: false,
    queues: [],
    running: true,
    brokerUrl,
    start: notManaged,
    stop: notManaged,
    kill: notManaged,
    restart: notManaged,
    cut: () => cut(name),
    output: () => [],
    tail: () => [],
  };
}
