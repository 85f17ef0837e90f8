import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { troupeEnvelopeAdapter } from '../../harness/events/envelope-adapter';
import { invariant } from '../../harness/fuzz/invariant';
import { emulateCuts } from '../../harness/scenario/emulated-cut';
import { scenarioSuite, type ScenarioSuite } from '../../harness/scenario/jest-scenarios';
import {
  INJECTED_HEADER,
  type CapabilityContext,
  type ProbeCheck,
  type StartedTarget,
  type Target,
  type TargetCapability,
  type TargetContext,
  type TargetDeadLetter,
  type TargetService,
} from '../../harness/target/target';
import { TargetError } from '../../harness/target/target-error';
import { AmqpTransport } from '../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../harness/transport/amqp/connection-name';
import { InMemoryTransport } from '../../harness/transport/memory/in-memory-transport';
import type { Subscription, Transport } from '../../harness/transport/transport';
import { exampleShippingAddress } from '../events/common';
import { shopCatalog, terminalEventTypes } from '../events/catalog';
import type { KnownBug } from '../kit/bugs';
import { deadLetterHeaders } from '../kit/dead-letter';
import { deleteTopology } from '../kit/delete-topology';
import { MemoryStore } from '../kit/memory-store';
import { PostgresStore } from '../kit/postgres-store';
import type { Store } from '../kit/store';
import { topologyNames } from '../kit/topology';
import type { GatewayRules } from '../payments/gateway';
import { consumersOf, serviceNames, type ServiceName } from '../services';
import { startShop, type StartedShop, type StartShopOptions } from '../shop';
import { routedAmqpTransport } from './routed-amqp-transport';
import { shopStateInvariants } from './shop-invariants';

/** Where the shop runs, and which of its known bugs are switched on (none by default). */
export type ShopTargetOptions = { readonly bugs?: readonly KnownBug[] } & (
  | { readonly mode: 'sim' }
  | {
      readonly mode: 'broker';
      readonly amqpUrl: string;
      /** PostgreSQL for the services' state (one schema per run); in-memory store when omitted. */
      readonly databaseUrl?: string;
    }
);

/** What runs in a runtime of its own: the five services and the outbox relay. */
type ShopRole = ServiceName | 'relay';
const shopRoles: readonly ShopRole[] = [...serviceNames, 'relay'];

/** Event types no service consumes: a flow whose other events all caused something is done when these arrive. */
const leafEventTypes = shopCatalog.types().filter((type) => consumersOf(type).length === 0);

const alias = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, 'a name: lower case letters, digits, "-" or "_", starting with a letter');
const sku = z.string().regex(/^[A-Z0-9-]{3,24}$/, 'a SKU: 3-24 of A-Z, 0-9, "-"');
const gatewayRule = {
  /** Applies to this customer's charges / refunds. */
  customer: alias.optional(),
  /** Applies to amounts of at least this many minor units. */
  minAmountMinor: z.number().int().nonnegative().optional(),
};

const customersSchema = z.record(
  alias,
  z.strictObject({ tier: z.enum(['standard', 'premium']).default('standard'), email: z.email().optional() }),
);
const stockSchema = z.record(sku, z.number().int().nonnegative());
const gatewaySchema = z.strictObject({
  declines: z
    .array(
      z.strictObject({
        ...gatewayRule,
        reason: z.enum(['declined', 'insufficient_funds']).default('declined'),
      }),
    )
    .default([]),
  refundFailures: z
    .array(z.strictObject({ ...gatewayRule, reason: z.string().min(1).default('gateway refused refund') }))
    .default([]),
});
const placeOrderSchema = z.strictObject({
  customer: alias,
  items: z
    .array(
      z.strictObject({
        sku,
        quantity: z.number().int().positive(),
        unitPriceMinor: z.number().int().nonnegative().default(1000),
      }),
    )
    .min(1),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'ISO 4217 currency code')
    .default('EUR'),
  fraudScore: z.number().min(0).max(1).default(0.05),
});
const orderStatusSchema = z.strictObject({
  /** A flow name (`as`; every flow of a `count` group), or `*` for every flow. */
  flow: z.union([z.literal('*'), alias]),
  status: z.enum(['placed', 'paid', 'reserved', 'shipped', 'cancelled', 'needs_attention']),
});
const stockLevelsSchema = z.record(sku, z.number().int());

type Customers = z.output<typeof customersSchema>;
type Gateway = z.output<typeof gatewaySchema>;
type PlaceOrder = z.output<typeof placeOrderSchema>;

/** What the shop's steps and probes need of a run (the started target is a `ShopRun`). */
interface ShopRun extends StartedTarget {
  readonly shop: {
    seed(seed: Parameters<StartedShop['seed']>[0]): Promise<void>;
    configureGateway(rules: GatewayRules): void;
    placeOrder: StartedShop['placeOrder'];
    order: StartedShop['order'];
    stock: StartedShop['stock'];
  };
}

function shopRun(started: StartedTarget): ShopRun {
  if (!('shop' in started))
    throw new TargetError('unsupported', 'a shop step ran on a target that is not the shop');
  return started as ShopRun;
}

const customerIdKey = (name: string): string => `customer.${name}`;

/** The shop's own scenario steps: its seeded state (customers, stock, gateway rules) and its storefront command. */
const shopSteps: Record<string, TargetCapability> = {
  customers: {
    description: 'Customers by name, with their tier; ids and e-mails are generated per run.',
    schema: customersSchema,
    declares: (args) => Object.keys(args as Customers).map((name) => ({ kind: 'customer', name })),
    async run(started, args, context) {
      const customers = Object.entries(args as Customers).map(([name, customer]) => {
        const customerId = randomUUID();
        context.memory.set(customerIdKey(name), customerId);
        return {
          customerId,
          tier: customer.tier,
          email: customer.email ?? `${name}+${context.namespace.slice(-6)}@example.com`,
          address: exampleShippingAddress,
        };
      });
      await shopRun(started).shop.seed({ customers });
    },
  },
  stock: {
    description: 'Units on hand per SKU.',
    schema: stockSchema,
    async run(started, args) {
      await shopRun(started).shop.seed({ stock: args as Record<string, number> });
    },
  },
  gateway: {
    description:
      'Rules of the simulated payment gateway: which charges it declines, which refunds it refuses.',
    schema: gatewaySchema,
    uses: (args) =>
      (['declines', 'refundFailures'] as const).flatMap((kind) =>
        (args as Gateway)[kind].flatMap((rule, index) =>
          rule.customer === undefined
            ? []
            : [{ kind: 'customer', name: rule.customer, path: [kind, index, 'customer'] }],
        ),
      ),
    run(started, args, context) {
      const gateway = args as Gateway;
      const rule = <R extends { customer?: string | undefined; minAmountMinor?: number | undefined }>(
        entry: R,
      ) => {
        const customerId = entry.customer === undefined ? undefined : customerIdOf(context, entry.customer);
        return {
          ...(customerId ? { customerId } : {}),
          ...(entry.minAmountMinor !== undefined ? { minAmountMinor: entry.minAmountMinor } : {}),
        };
      };
      shopRun(started).shop.configureGateway({
        declines: gateway.declines.map((entry) => ({ ...rule(entry), reason: entry.reason })),
        refundFailures: gateway.refundFailures.map((entry) => ({ ...rule(entry), reason: entry.reason })),
      });
      return Promise.resolve();
    },
  },
  placeOrder: {
    description:
      'The storefront command: places an order (the flow key is its orderId). `count: 12` places twelve.',
    schema: placeOrderSchema,
    startsFlow: true,
    uses: (args) => [{ kind: 'customer', name: (args as PlaceOrder).customer, path: ['customer'] }],
    async run(started, args, context) {
      const order = args as PlaceOrder;
      const flow = context.flow;
      if (!flow) throw new TargetError('flow-start-failed', 'placeOrder runs in a flow of its own');
      await shopRun(started).shop.placeOrder({
        orderId: flow.key,
        correlationId: flow.correlationId,
        customerId: customerIdOf(context, order.customer),
        items: order.items.map((item) => ({
          sku: item.sku,
          quantity: item.quantity,
          unitPrice: { amountMinor: item.unitPriceMinor, currency: order.currency },
        })),
        fraudScore: order.fraudScore,
      });
    },
  },
};

/** The shop's probes of final state. */
const shopProbes: Record<string, TargetCapability> = {
  stock: {
    description: 'Final units on hand per SKU.',
    schema: stockLevelsSchema,
    async run(started, args): Promise<ProbeCheck[]> {
      return Promise.all(
        Object.entries(args as Record<string, number>).map(async ([name, expected]) => {
          const actual = (await shopRun(started).shop.stock(name))?.available;
          return {
            name: `stock of ${name} is ${expected}`,
            ok: actual === expected,
            detail: `found ${actual ?? 'no such SKU'}`,
          };
        }),
      );
    },
  },
  orderStatus: {
    description: "The order's final status in the orders service, for a flow (or `*`: every flow).",
    schema: orderStatusSchema,
    async run(started, args, context): Promise<ProbeCheck[]> {
      const { flow, status } = args as z.output<typeof orderStatusSchema>;
      const flows = [
        ...new Map([...context.flows.values()].map((entry) => [entry.name, entry])).values(),
      ].filter((entry) => flow === '*' || entry.name === flow || entry.name.startsWith(`${flow}#`));
      if (flows.length === 0)
        return [{ name: `${flow}: status is ${status}`, ok: false, detail: `no flow named ${flow}` }];
      return Promise.all(
        flows.map(async (entry) => {
          const actual = (await shopRun(started).shop.order(entry.key))?.status;
          return {
            name: `${entry.name}: status is ${status}`,
            ok: actual === status,
            detail: `status is ${actual ?? '(no such order)'}`,
          };
        }),
      );
    },
  },
};

function customerIdOf(context: CapabilityContext, name: string): string {
  const id = context.memory.get(customerIdKey(name));
  if (typeof id !== 'string') {
    throw new TargetError(
      'flow-start-failed',
      `unknown customer "${name}": declare it in a customers step first`,
    );
  }
  return id;
}

/**
 * The reference shop as a Target for scenarios: its five services and the outbox relay in this process, in the
 * run's own namespace (exchange, queues, PostgreSQL schema), on RabbitMQ + PostgreSQL or on the in-memory transport
 * + store. Each service (and the relay) runs in a runtime of its own, so it can be stopped, killed and restarted
 * alone; with a `router` (the chaos proxy) each also has a broker connection of its own through it, so message
 * faults are the proxy's and a cut hits that one. Its steps (`customers`, `stock`, `gateway`, `placeOrder`) and
 * probes (`stock`, `orderStatus`) are the shop's vocabulary.
 */
export function shopTarget(options: ShopTargetOptions): Target {
  const bugs = options.bugs ?? [];
  const target: Target = {
    name: `${options.mode === 'sim' ? 'the reference shop (in-memory)' : 'the reference shop'}${bugs.length > 0 ? ` [bug: ${bugs.join(', ')}]` : ''}`,
    adapter: troupeEnvelopeAdapter('orderId'),
    serviceNames: shopRoles,
    flows: [
      {
        name: 'order',
        keyPath: 'orderId',
        terminalTypes: terminalEventTypes,
        invariants: [
          invariant.atMostOne('PaymentCompleted').per('orderId'),
          invariant.atMostOne('ShipmentScheduled').per('orderId'),
          invariant.atMostOne('PaymentRefunded').per('orderId'),
          ...shopStateInvariants,
        ],
      },
    ],
    eventTypes: shopCatalog.types(),
    leafEventTypes,
    payloadSchema: (eventType) => shopCatalog.get(eventType)?.payload,
    steps: shopSteps,
    probes: shopProbes,
    start: (context) => startShopTarget(target, options, context),
  };
  return target;
}

/** How close two cuts of the shared connection must be to count as one. */
const cutWindowMs = 1_000;

async function startShopTarget(
  target: Target,
  options: ShopTargetOptions,
  context: TargetContext,
): Promise<StartedTarget> {
  const namespace = context.namespace;
  const names = topologyNames(namespace);
  const broker =
    options.mode === 'broker' ? { ...options, amqpUrl: context.brokerUrl ?? options.amqpUrl } : undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, `cleaning up shop namespace ${namespace} failed`);
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

    // Services and Troupe get separate connections: a fault that cuts the services' connection must not blind
    // the observer (its exclusive queue would vanish with it).
    const servicesName = broker ? connectionName('scenario-services') : '';
    let servicesBus: Transport;
    let bus: InMemoryTransport | undefined;
    if (broker) {
      const services = new AmqpTransport({
        url: broker.amqpUrl,
        connectionName: servicesName,
        onError: () => undefined,
      });
      cleanups.push(() => services.close());
      // Fail fast, naming the broker, rather than letting every step wait for a connection that never comes.
      await services.connected(10_000);
      cleanups.push(() => deleteTopology(namespace, serviceNames, broker.amqpUrl));
      servicesBus = services;
    } else {
      bus = new InMemoryTransport();
      const memory = bus;
      cleanups.push(() => memory.close());
      servicesBus = bus;
    }
    const cuttable = emulateCuts(servicesBus);
    const transport = context.wrapServiceTransport?.('shop', cuttable.transport) ?? cuttable.transport;
    const openTransport = (purpose: string): Transport => {
      if (broker) {
        return new AmqpTransport({
          url: broker.amqpUrl,
          connectionName: connectionName(purpose),
          onError: () => undefined,
        });
      }
      return memoryView(bus as InMemoryTransport);
    };
    const observer = openTransport('scenario-dead-letters');
    cleanups.push(() => observer.close());

    let gatewayRules: GatewayRules = {};
    const base: StartShopOptions = {
      transport,
      store,
      namespace,
      retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200 },
      ...(options.bugs ? { bugs: options.bugs } : {}),
      onError: () => undefined,
    };
    // The storefront (it declares the topology); each service and the outbox relay then run in a runtime of their
    // own. Through the router (the chaos proxy) each has a connection of its own too, opened at its start and
    // closed at its stop: the proxy applies the message faults, and a cut or a kill hits that one role.
    const router = broker ? context.router : undefined;
    const front = await startShop({ ...base, services: [], relays: 0 });
    cleanups.push(() => front.stop());
    const running = new Map<ShopRole, { readonly shop: StartedShop; readonly own?: Transport }>();
    const routedUrls = new Map<ShopRole, string>();
    const startService = async (role: ShopRole): Promise<void> => {
      if (running.has(role)) return;
      let own: Transport | undefined;
      if (router && broker) {
        const routed = await routedAmqpTransport(router, role, broker.amqpUrl, 'scenario');
        routedUrls.set(role, routed.url);
        own = context.wrapServiceTransport?.(role, routed.transport) ?? routed.transport;
      }
      try {
        const shop = await startShop({
          ...base,
          ...(own ? { transport: own } : {}),
          gatewayRules,
          services: role === 'relay' ? [] : [role],
          relays: role === 'relay' ? 1 : 0,
        });
        running.set(role, own ? { shop, own } : { shop });
      } catch (error) {
        await own?.close().catch(() => undefined);
        throw error;
      }
    };
    const stopService = async (role: ShopRole): Promise<void> => {
      const entry = running.get(role);
      running.delete(role);
      await entry?.shop.stop();
      await entry?.own?.close();
    };
    // Registered first: a role that fails to start must not leave the ones started before it running.
    cleanups.push(async () => {
      for (const role of shopRoles) await stopService(role);
    });
    for (const role of shopRoles) await startService(role);

    // Watch every service's dead-letter queue: a scenario fails on a dead letter it did not expect.
    const deadLetters: TargetDeadLetter[] = [];
    for (const service of serviceNames) {
      const subscription = await observer.consume(names.deadLetterQueue(service), (delivery) => {
        const reason = delivery.headers[deadLetterHeaders.reason];
        const code = delivery.headers[deadLetterHeaders.code];
        deadLetters.push({
          service,
          eventType: target.adapter.read(delivery)?.eventType ?? delivery.type,
          reason:
            typeof reason === 'string'
              ? `${typeof code === 'string' ? `[${code}] ` : ''}${reason}`
              : undefined,
        });
        return Promise.resolve('ack');
      });
      cleanups.push(() => subscription.close());
    }

    // In memory every service shares one transport: cutting "every service" must cut it once, not six times.
    let cutAt = Number.NEGATIVE_INFINITY;
    const cut = (service: ShopRole): Promise<string> => {
      if (router) return router.cut(service);
      if (broker) {
        return Promise.reject(
          new TargetError(
            'unsupported',
            `cut ${service}: on RabbitMQ the shop's connections are cut through the chaos proxy (TargetContext.router; runScenario opens it for a spec with a cut)`,
            { service },
          ),
        );
      }
      if (Date.now() - cutAt < cutWindowMs) {
        return Promise.resolve(`${service} shares the in-memory transport, cut just now`);
      }
      cuttable.cut();
      cutAt = Date.now();
      return Promise.resolve('in-memory transport: in-flight deliveries lost their acks (emulated cut)');
    };

    const services: TargetService[] = shopRoles.map((name) => ({
      name,
      external: false,
      queues: name === 'relay' ? [] : [names.queue(name)],
      get running() {
        return running.has(name);
      },
      brokerUrl: routedUrls.get(name) ?? broker?.amqpUrl,
      start: () => startService(name),
      stop: async () => {
        await stopService(name);
        return undefined;
      },
      // In process there is no signal to send: the runtime stops (in-flight deliveries go back unacked).
      kill: async () => {
        await stopService(name);
        return undefined;
      },
      restart: async () => {
        await stopService(name);
        await startService(name);
      },
      cut: () => cut(name),
      output: () => [],
      tail: () => [],
    }));

    const started: ShopRun = {
      target,
      brokerUrl: broker?.amqpUrl ?? 'memory://in-process',
      vhost: '/',
      exchanges: [{ name: names.exchange, type: 'topic' }],
      directQueues: [],
      adapter: target.adapter,
      services,
      service(name) {
        const found = services.find((service) => service.name === name);
        if (!found) {
          throw new TargetError(
            'unknown-service',
            `the shop has no service "${name}" (it has ${shopRoles.join(', ')})`,
          );
        }
        return found;
      },
      openTransport,
      // Routed, the services' connections go through the proxy: they are cut there (`services[i].cut()`).
      ...(broker && !router ? { connectionPrefix: servicesName } : {}),
      startFlow: () =>
        Promise.reject(
          new TargetError(
            'unsupported',
            'the scenario shop starts flows through its placeOrder step (troupe fuzz has its own)',
          ),
        ),
      async publish(exchange, message, reason = 'test') {
        await transport.publish(exchange, {
          ...message,
          headers: { ...message.headers, [INJECTED_HEADER]: reason },
        });
      },
      failure: () => undefined,
      state: () => front.state(),
      encodeEvent({ eventType, payload, correlationId, causationId }) {
        const definition = shopCatalog.require(eventType as Parameters<typeof shopCatalog.require>[0]);
        const event = shopCatalog.create(definition.type, payload as never, {
          correlationId,
          causationId: causationId ?? correlationId,
        });
        return {
          exchange: names.exchange,
          message: {
            routingKey: definition.routingKey,
            body: Buffer.from(JSON.stringify(event)),
            messageId: event.eventId,
            correlationId: event.correlationId,
            type: event.eventType,
            contentType: 'application/json',
          },
        };
      },
      deadLetters: () => [...deadLetters],
      shop: {
        seed: (seed) => front.seed(seed),
        configureGateway(rules) {
          gatewayRules = rules;
          for (const { shop } of running.values()) shop.configureGateway(rules);
        },
        placeOrder: (command) => front.placeOrder(command),
        order: (orderId) => front.order(orderId),
        stock: (name) => front.stock(name),
      },
      stop: cleanUp,
      [Symbol.asyncDispose]: cleanUp,
    };
    return started;
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }
}

/** A view of the in-memory bus for one user: closing it ends only its own consumers. */
function memoryView(bus: InMemoryTransport): Transport {
  const subscriptions: Subscription[] = [];
  return {
    declare: (topology) => bus.declare(topology),
    publish: (exchange, message) => bus.publish(exchange, message),
    async consume(queue, handler, options) {
      const subscription = await bus.consume(queue, handler, options);
      subscriptions.push(subscription);
      return subscription;
    },
    async close() {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
    },
  };
}

/**
 * The shop's scenarios on this machine's broker and database (`AMQP_URL` / `DATABASE_URL`, else the local servers):
 * what `test/e2e/scenarios.test.ts` hands to `describeScenarios`.
 */
export function shopScenarioSuite(
  options: ShopTargetOptions = {
    mode: 'broker',
    amqpUrl: process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  },
): ScenarioSuite {
  return scenarioSuite(shopTarget(options), { mode: options.mode });
}
