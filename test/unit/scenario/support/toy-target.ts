import { randomUUID } from 'node:crypto';
import { troupeEnvelopeAdapter } from '../../../../harness/events/envelope-adapter';
import type { ScenarioTarget, ScenarioTargetFactory } from '../../../../harness/scenario/scenario-target';
import type { ScenarioVocabulary } from '../../../../harness/scenario/scenario-schema';
import { InMemoryTransport } from '../../../../harness/transport/memory/in-memory-transport';

/** A two-service toy choreography (not the shop): proves the runner works on services Troupe did not write. */
export const toyVocabulary: ScenarioVocabulary = {
  eventTypes: ['OrderPlaced', 'PaymentCompleted', 'PaymentFailed'],
  services: ['payments'],
  terminalEventTypes: ['PaymentCompleted', 'PaymentFailed'],
};

export interface ToyOptions {
  /** Payments forgets its dedupe: a duplicate OrderPlaced charges twice. */
  readonly notIdempotent?: boolean;
}

const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

/** Target factory of the toy: orders publishes OrderPlaced, payments charges (or declines) and reports. */
export function toyTarget(options: ToyOptions = {}): ScenarioTargetFactory {
  return async (context) => {
    const bus = new InMemoryTransport();
    const services = context.faults.wrap(bus);
    const exchange = `toy.${context.namespace}`;
    const queue = `${exchange}.payments`;
    await services.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: queue, exchange, bindings: ['orders.#'] }],
    });
    const declined = new Set(context.given.gateway.declines.map((rule) => rule.customerId));
    const statuses = new Map<string, string>();
    const processed = new Set<string>();
    const emit = async (
      type: string,
      payload: { orderId: string },
      correlationId: string,
      causationId: string,
    ) => {
      const eventId = randomUUID();
      await services.publish(exchange, {
        routingKey: `${type === 'OrderPlaced' ? 'orders' : 'payments'}.${type}`,
        body: encode({ eventId, eventType: type, correlationId, causationId, payload }),
        messageId: eventId,
        type,
      });
    };
    await services.consume(queue, async (delivery) => {
      const event = JSON.parse(Buffer.from(delivery.body).toString()) as {
        eventId: string;
        correlationId: string;
        payload: { orderId: string; customerId: string };
      };
      if (!options.notIdempotent && processed.has(event.eventId)) return 'ack';
      processed.add(event.eventId);
      const ok = !declined.has(event.payload.customerId);
      statuses.set(event.payload.orderId, ok ? 'paid' : 'cancelled');
      await emit(
        ok ? 'PaymentCompleted' : 'PaymentFailed',
        { orderId: event.payload.orderId },
        event.correlationId,
        event.eventId,
      );
      return 'ack';
    });
    const target: ScenarioTarget = {
      exchange,
      adapter: troupeEnvelopeAdapter(),
      observerTransport: bus,
      terminalEventTypes: ['PaymentCompleted', 'PaymentFailed'],
      leafEventTypes: ['PaymentCompleted', 'PaymentFailed'],
      serviceOfQueue: (name) => (name === queue ? 'payments' : undefined),
      async placeOrder(command) {
        statuses.set(command.orderId, 'placed');
        await emit(
          'OrderPlaced',
          { orderId: command.orderId, customerId: command.customerId } as { orderId: string },
          command.correlationId,
          command.correlationId,
        );
      },
      publish: () => Promise.reject(new Error('toy: publish is not supported')),
      orderStatus: (orderId) => Promise.resolve(statuses.get(orderId)),
      stockLevel: (sku) => Promise.resolve(context.given.stock[sku]),
      cutConnections: () => {
        context.faults.cut();
        return Promise.resolve('emulated cut');
      },
      restartService: () => Promise.resolve('nothing to restart'),
      stop: () => services.close(),
    };
    return target;
  };
}
