import { z } from 'zod';
import { jsonPathsAdapter } from '../../../../harness/events/json-paths-adapter';
import { invariant } from '../../../../harness/fuzz/invariant';
import { emulateCuts } from '../../../../harness/scenario/emulated-cut';
import {
  INJECTED_HEADER,
  type ProbeCheck,
  type StartedTarget,
  type Target,
  type TargetContext,
  type TargetService,
} from '../../../../harness/target/target';
import { InMemoryTransport } from '../../../../harness/transport/memory/in-memory-transport';
import type { Subscription, Transport } from '../../../../harness/transport/transport';

/**
 * A two-service toy choreography that is not the shop, built as a Target object in the test: `billing` charges an
 * `InvoiceRequested` (up to a limit) and publishes `InvoicePaid` or `InvoiceRejected`; `mailer` mails a receipt
 * for `InvoicePaid` (`ReceiptMailed`). Bodies are `{ event, data: { invoiceId, … } }` without message ids.
 */
export interface ToyOptions {
  /** Billing forgets its dedupe: a duplicate InvoiceRequested charges twice. */
  readonly notIdempotent?: boolean;
  /** Billing dies (exits by itself) when it sees an invoice of this amount. */
  readonly crashOnAmount?: number;
  /** The target's `start` waits for this first (a slow start). */
  readonly startGate?: Promise<void>;
  /** Called when the target is stopped. */
  readonly onStop?: () => void;
}

/** Charges above this are rejected. */
export const toyLimit = 100;

const encode = (event: string, data: Record<string, unknown>): Uint8Array =>
  Buffer.from(JSON.stringify({ event, data }));

interface ToyRun extends StartedTarget {
  readonly charges: Map<string, number>;
}

/** The toy as a Target: steps `invoice` (starts a flow), probes `charges`. */
export function toyTarget(options: ToyOptions = {}): Target {
  const target: Target = {
    name: 'toy billing',
    adapter: jsonPathsAdapter({ type: 'event', key: 'data.invoiceId' }),
    serviceNames: ['billing', 'mailer'],
    eventTypes: ['InvoiceRequested', 'InvoicePaid', 'InvoiceRejected', 'ReceiptMailed'],
    leafEventTypes: ['ReceiptMailed', 'InvoiceRejected'],
    flows: [
      {
        name: 'invoice',
        keyPath: 'data.invoiceId',
        terminalTypes: ['ReceiptMailed', 'InvoiceRejected'],
        invariants: [invariant.atMostOne('InvoicePaid').per('data.invoiceId')],
      },
    ],
    steps: {
      invoice: {
        description: 'Requests an invoice of `amount` (the flow key is its id).',
        schema: z.strictObject({ amount: z.number().int().positive() }),
        startsFlow: true,
        async run(started, args, context) {
          const { amount } = args as { amount: number };
          await started.publish(
            'toy.events',
            {
              routingKey: 'InvoiceRequested',
              body: encode('InvoiceRequested', { invoiceId: context.flow?.key, amount }),
            },
            'step',
          );
        },
      },
    },
    probes: {
      charges: {
        description: 'How often billing charged the flow.',
        schema: z.strictObject({ flow: z.string(), times: z.number().int() }),
        run(started, args, context): Promise<ProbeCheck> {
          const { flow, times } = args as { flow: string; times: number };
          const key = context.flows.get(flow)?.key ?? '';
          const charged = (started as ToyRun).charges.get(key) ?? 0;
          return Promise.resolve({
            name: `${flow} charged ${times} time(s)`,
            ok: charged === times,
            detail: `${charged}`,
          });
        },
      },
    },
    start: (context) => startToy(target, options, context),
  };
  return target;
}

async function startToy(target: Target, options: ToyOptions, context: TargetContext): Promise<StartedTarget> {
  await options.startGate;
  const bus = new InMemoryTransport();
  const exchange = 'toy.events';
  await bus.declare({
    exchanges: [{ name: exchange, type: 'topic' }],
    queues: [
      { name: 'toy.billing', exchange, bindings: ['InvoiceRequested'] },
      { name: 'toy.mailer', exchange, bindings: ['InvoicePaid'] },
    ],
  });
  const charges = new Map<string, number>();
  const subscriptions = new Map<string, Subscription>();
  const cuttable = emulateCuts(bus);
  const transportOf = (service: string): Transport =>
    context.wrapServiceTransport?.(service, cuttable.transport) ?? cuttable.transport;
  const handlers: Record<string, (transport: Transport) => Promise<Subscription>> = {
    billing: (transport) =>
      transport.consume('toy.billing', async (delivery) => {
        const { data } = JSON.parse(Buffer.from(delivery.body).toString()) as {
          data: { invoiceId: string; amount: number };
        };
        if (data.amount === options.crashOnAmount) {
          // Not awaited: closing a consumer waits for its handlers, this one included.
          void stopService('billing');
          context.onServiceExit?.({
            service: 'billing',
            code: 3,
            signal: null,
            expected: false,
            lastLines: ['billing: cannot charge this amount, exiting'],
          });
          return 'requeue';
        }
        if (!options.notIdempotent && charges.has(data.invoiceId)) return 'ack';
        const ok = data.amount <= toyLimit;
        if (ok) charges.set(data.invoiceId, (charges.get(data.invoiceId) ?? 0) + 1);
        const event = ok ? 'InvoicePaid' : 'InvoiceRejected';
        await transport.publish(exchange, {
          routingKey: event,
          body: encode(event, { invoiceId: data.invoiceId }),
        });
        return 'ack';
      }),
    mailer: (transport) =>
      transport.consume('toy.mailer', async (delivery) => {
        const { data } = JSON.parse(Buffer.from(delivery.body).toString()) as { data: { invoiceId: string } };
        await transport.publish(exchange, {
          routingKey: 'ReceiptMailed',
          body: encode('ReceiptMailed', { invoiceId: data.invoiceId }),
        });
        return 'ack';
      }),
  };
  const startService = async (name: string): Promise<void> => {
    if (subscriptions.has(name)) return;
    const start = handlers[name];
    if (start) subscriptions.set(name, await start(transportOf(name)));
  };
  const stopService = async (name: string): Promise<void> => {
    const subscription = subscriptions.get(name);
    subscriptions.delete(name);
    await subscription?.close();
  };
  for (const name of target.serviceNames) await startService(name);
  const services: TargetService[] = target.serviceNames.map((name) => ({
    name,
    external: false,
    queues: [`toy.${name}`],
    get running() {
      return subscriptions.has(name);
    },
    brokerUrl: undefined,
    start: () => startService(name),
    stop: () => stopService(name).then(() => undefined),
    kill: () => stopService(name).then(() => undefined),
    restart: async () => {
      await stopService(name);
      await startService(name);
    },
    cut: () => {
      cuttable.cut();
      return Promise.resolve(`emulated cut of ${name}`);
    },
    output: () => [{ at: Date.now(), stream: 'stdout', text: `${name} says hello` }],
    tail: () => [`${name} says hello`],
  }));
  const stop = async (): Promise<void> => {
    for (const name of target.serviceNames) await stopService(name);
    await bus.close();
    options.onStop?.();
  };
  const started: ToyRun = {
    target,
    brokerUrl: 'memory://toy',
    vhost: '/',
    exchanges: [{ name: exchange, type: 'topic' }],
    directQueues: [],
    adapter: target.adapter,
    services,
    service(name) {
      const found = services.find((service) => service.name === name);
      if (!found) throw new Error(`no service ${name}`);
      return found;
    },
    openTransport: () => ({
      declare: (topology) => bus.declare(topology),
      publish: (name, message) => bus.publish(name, message),
      consume: (queue, handler, consumeOptions) => bus.consume(queue, handler, consumeOptions),
      close: () => Promise.resolve(),
    }),
    startFlow: () => Promise.reject(new Error('not used')),
    publish: (name, message, reason = 'test') =>
      bus.publish(name, { ...message, headers: { ...message.headers, [INJECTED_HEADER]: reason } }),
    failure: () => undefined,
    charges,
    stop,
    [Symbol.asyncDispose]: stop,
  };
  return started;
}
