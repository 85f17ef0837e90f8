import { troupeEnvelopeAdapter } from '../harness/events/envelope-adapter';
import type { ScenarioSuite } from '../harness/scenario/jest-scenarios';
import type { DeadLetter, ScenarioTarget, ScenarioTargetFactory } from '../harness/scenario/scenario-target';
import { AmqpTransport } from '../harness/transport/amqp/amqp-transport';
import { connectionName } from '../harness/transport/amqp/connection-name';
import { closeOwnConnections } from '../harness/transport/amqp/rabbitmqctl';
import { InMemoryTransport } from '../harness/transport/memory/in-memory-transport';
import type { Transport } from '../harness/transport/transport';
import type { ShippingAddress } from '../reference-services/events/common';
import { shopCatalog, terminalEventTypes } from '../reference-services/events/catalog';
import { deadLetterHeaders } from '../reference-services/kit/dead-letter';
import { deleteTopology } from '../reference-services/kit/delete-topology';
import { MemoryStore } from '../reference-services/kit/memory-store';
import { PostgresStore } from '../reference-services/kit/postgres-store';
import type { Store } from '../reference-services/kit/store';
import { topologyNames } from '../reference-services/kit/topology';
import type { GatewayRules } from '../reference-services/payments/gateway';
import {
  consumersOf,
  parseServiceName,
  serviceNames,
  type ServiceName,
} from '../reference-services/services';
import { startShop, type StartedShop, type StartShopOptions } from '../reference-services/shop';
import { shopLoadOptions } from './shop-vocabulary';

/** Where the shop runs for a scenario. */
export type ShopTargetOptions =
  | { readonly mode: 'sim' }
  | {
      readonly mode: 'broker';
      readonly amqpUrl: string;
      /** PostgreSQL for the services' state (one schema per scenario); in-memory store when omitted. */
      readonly databaseUrl?: string;
    };

const defaultAddress: ShippingAddress = {
  name: 'Scenario Customer',
  line1: '1 Test Street',
  line2: null,
  city: 'London',
  postalCode: 'EC1A 1BB',
  country: 'GB',
};

/** Event types no service consumes: a flow whose other events all caused something is done when these arrive. */
const leafEventTypes = shopCatalog.types().filter((type) => consumersOf(type).length === 0);

/**
 * The reference shop as a scenario target: the five services in this process, in the scenario's own namespace
 * (exchange, queues, PostgreSQL schema), on RabbitMQ + PostgreSQL or on the in-memory transport + store. Services
 * named by a `restartService` fault run in their own runtime so they can be stopped and started alone.
 */
export function shopTarget(options: ShopTargetOptions): ScenarioTargetFactory {
  return async (context) => {
    const namespace = context.namespace;
    const names = topologyNames(namespace);
    const broker = options.mode === 'broker' ? options : undefined;
    const cleanups: (() => Promise<void>)[] = [];
    const cleanUp = async (): Promise<void> => {
      const errors: unknown[] = [];
      for (const cleanup of cleanups.splice(0).reverse())
        await cleanup().catch((error: unknown) => errors.push(error));
      if (errors.length > 0)
        throw new AggregateError(errors, `cleaning up scenario namespace ${namespace} failed`);
    };

    try {
      let store: Store;
      if (broker?.databaseUrl) {
        const sql = await PostgresStore.open({
          url: broker.databaseUrl,
          namespace,
          poolSize: 3,
          applicationName: 'troupe-scenarios',
        });
        cleanups.push(async () => {
          await sql.dropSchema();
          await sql.close();
        });
        store = sql;
      } else {
        store = new MemoryStore();
      }

      // Services and the tap get separate connections: a fault that cuts the services' connection must not
      // blind the observer (its exclusive queue would vanish with it).
      const servicesName = broker ? connectionName('scenario-services') : '';
      let servicesBus: Transport;
      let observerTransport: Transport;
      if (broker) {
        const services = new AmqpTransport({
          url: broker.amqpUrl,
          connectionName: servicesName,
          onError: () => undefined,
        });
        const observer = new AmqpTransport({
          url: broker.amqpUrl,
          connectionName: connectionName('scenario-tap'),
          onError: () => undefined,
        });
        cleanups.push(() => observer.close());
        cleanups.push(() => services.close());
        // Fail fast, naming the broker, rather than letting every step wait for a connection that never comes.
        await Promise.all([services.connected(10_000), observer.connected(10_000)]);
        cleanups.push(() => deleteTopology(namespace, serviceNames, broker.amqpUrl));
        servicesBus = services;
        observerTransport = observer;
      } else {
        const bus = new InMemoryTransport();
        cleanups.push(() => bus.close());
        servicesBus = bus;
        observerTransport = bus;
      }
      const transport = context.faults.wrap(servicesBus);

      const given = context.given;
      const gatewayRules: GatewayRules = {
        declines: given.gateway.declines.map((rule) => ({
          ...(rule.customerId ? { customerId: rule.customerId } : {}),
          ...(rule.minAmountMinor !== undefined ? { minAmountMinor: rule.minAmountMinor } : {}),
          reason: rule.reason === 'insufficient_funds' ? 'insufficient_funds' : 'declined',
        })),
        refundFailures: given.gateway.refundFailures.map((rule) => ({
          ...(rule.customerId ? { customerId: rule.customerId } : {}),
          ...(rule.minAmountMinor !== undefined ? { minAmountMinor: rule.minAmountMinor } : {}),
          reason: rule.reason,
        })),
      };
      const restartable = new Set(context.restartableServices.map(parseServiceName));
      const base: StartShopOptions = {
        transport,
        store,
        namespace,
        gatewayRules,
        retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200 },
        onError: () => undefined,
      };
      const main = await startShop({
        ...base,
        services: serviceNames.filter((name) => !restartable.has(name)),
        seed: {
          stock: given.stock,
          customers: given.customers.map((customer) => ({
            customerId: customer.customerId,
            tier: customer.tier,
            email: customer.email,
            address: defaultAddress,
          })),
        },
      });
      cleanups.push(() => main.stop());
      // One runtime per restartable service, without a relay (the main shop's relay serves the shared store).
      const alone = new Map<ServiceName, StartedShop>();
      const startAlone = async (service: ServiceName): Promise<void> => {
        alone.set(service, await startShop({ ...base, services: [service], relays: 0 }));
      };
      for (const service of restartable) await startAlone(service);
      cleanups.push(async () => {
        for (const shop of alone.values()) await shop.stop();
      });

      // Watch every service's dead-letter queue: a scenario fails on a dead letter it did not expect.
      const deadLetters: DeadLetter[] = [];
      const adapter = troupeEnvelopeAdapter('orderId');
      for (const service of serviceNames) {
        const subscription = await observerTransport.consume(names.deadLetterQueue(service), (delivery) => {
          const reason = delivery.headers[deadLetterHeaders.reason];
          const code = delivery.headers[deadLetterHeaders.code];
          deadLetters.push({
            service,
            eventType: adapter.read(delivery)?.eventType ?? delivery.type,
            reason:
              typeof reason === 'string'
                ? `${typeof code === 'string' ? `[${code}] ` : ''}${reason}`
                : undefined,
          });
          return Promise.resolve('ack');
        });
        cleanups.push(() => subscription.close());
      }

      const target: ScenarioTarget = {
        exchange: names.exchange,
        adapter,
        observerTransport,
        deadLetters: () => [...deadLetters],
        terminalEventTypes,
        leafEventTypes,
        serviceOfQueue: (queue) => serviceNames.find((service) => names.queue(service) === queue),
        async placeOrder(command) {
          await main.placeOrder({
            orderId: command.orderId,
            correlationId: command.correlationId,
            customerId: command.customerId,
            items: command.items.map((item) => ({
              sku: item.sku,
              quantity: item.quantity,
              unitPrice: { amountMinor: item.unitPrice.amountMinor, currency: item.unitPrice.currency },
            })),
            fraudScore: command.fraudScore,
          });
        },
        async publish(eventType, payload, flow) {
          const definition = shopCatalog.require(eventType as Parameters<typeof shopCatalog.require>[0]);
          const event = shopCatalog.create(definition.type, payload as never, flow);
          await transport.publish(names.exchange, {
            routingKey: definition.routingKey,
            body: Buffer.from(JSON.stringify(event)),
            messageId: event.eventId,
            correlationId: event.correlationId,
            type: event.eventType,
            contentType: 'application/json',
          });
        },
        orderStatus: async (orderId) => (await main.order(orderId))?.status,
        stockLevel: async (sku) => (await main.stock(sku))?.available,
        async cutConnections(service) {
          if (!broker) {
            context.faults.cut();
            return 'in-memory transport: in-flight deliveries lost their acks (emulated cut)';
          }
          // Every service shares one connection here, so a cut for one service cuts them all.
          let closed = 0;
          let why = 'no connection of that name on the broker';
          try {
            closed = await closeOwnConnections(servicesName, 'troupe scenario fault');
          } catch (error) {
            // A remote broker (or no rabbitmqctl on PATH): emulate the cut rather than skip the fault.
            why = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
          }
          if (closed > 0) {
            return `closed ${closed} broker connection(s) of ${service ?? 'the services'} (${servicesName})`;
          }
          context.faults.cut();
          return `could not close the connection (${why}): emulated the cut, in-flight deliveries lost their acks`;
        },
        async restartService(service) {
          const name = parseServiceName(service);
          const shop = alone.get(name);
          if (!shop) return `${service} is not restartable in this run`;
          await shop.stop();
          await startAlone(name);
          return `${service} stopped and started again`;
        },
        stop: cleanUp,
      };
      return target;
    } catch (error) {
      await cleanUp().catch(() => undefined);
      throw error;
    }
  };
}

/**
 * The shop's scenarios on this machine's broker and database (`AMQP_URL` / `DATABASE_URL`, else the local
 * servers): what `test/e2e/scenarios.test.ts` hands to `describeScenarios`.
 */
export function shopScenarioSuite(
  options: ShopTargetOptions = {
    mode: 'broker',
    amqpUrl: process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  },
): ScenarioSuite {
  return { ...shopLoadOptions, target: shopTarget(options), mode: options.mode };
}
