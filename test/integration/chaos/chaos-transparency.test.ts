import fc from 'fast-check';
import * as amqplib from 'amqplib';
import { Connection, ConsumerStatus } from 'rabbitmq-client';
import { startChaosProxy, type StartedChaosProxy } from '../../../harness/chaos/index';
import { AMQP_URL, Broker, until } from './chaos-support';

type Action = 'ack' | 'ack-multiple' | 'nack' | 'reject' | 'keep';

interface Run {
  /** What the consumer saw, in order: body, delivery tag, redelivered flag. */
  readonly received: readonly string[];
  /** What the broker still holds after the consumer closed (never acked). */
  readonly remaining: readonly string[];
}

const seed = Number(process.env['CHAOS_PROPERTY_SEED'] ?? Date.now() % 2 ** 31);

/** One consumer run against `url`: publish `actions.length` messages directly, consume them through `url`. */
async function run(
  broker: Broker,
  url: string,
  client: 'amqplib' | 'rabbitmq-client',
  actions: readonly Action[],
  prefetch: number,
): Promise<Run> {
  const queue = await broker.queue('transparency');
  await broker.publish(
    queue,
    actions.map((_, i) => `m${i}`),
  );
  const received: string[] = [];
  if (client === 'amqplib') {
    const connection = await amqplib.connect(url);
    const channel = await connection.createChannel();
    await channel.prefetch(prefetch);
    await channel.consume(queue, (message) => {
      if (message === null) return;
      received.push(
        `${message.content.toString()}:${message.fields.deliveryTag}:${message.fields.redelivered}`,
      );
      const action = actions[Number(message.content.toString().slice(1))];
      if (action === 'ack') channel.ack(message);
      else if (action === 'ack-multiple') channel.ack(message, true);
      else if (action === 'nack') channel.nack(message, true, false);
      else if (action === 'reject') channel.reject(message, false);
    });
    await until('every delivery', () => received.length === actions.length);
    await channel.checkQueue(queue); // a round trip after the last settlement
    await connection.close();
  } else {
    const connection = new Connection({ url });
    const consumer = connection.createConsumer({ queue, qos: { prefetchCount: prefetch } }, (message) => {
      received.push(`${String(message.body)}:${message.deliveryTag}:${message.redelivered}`);
      const action = actions[Number(String(message.body).slice(1))];
      return action === 'nack' || action === 'reject' ? ConsumerStatus.DROP : ConsumerStatus.ACK;
    });
    await until('every delivery', () => received.length === actions.length);
    await consumer.close();
    await connection.close();
  }
  return { received, remaining: (await broker.drain(queue)).sort() };
}

describe('chaos proxy without faults', () => {
  let broker: Broker;
  let proxy: StartedChaosProxy;
  beforeAll(async () => {
    broker = await Broker.open();
    proxy = await startChaosProxy({ upstream: AMQP_URL, listeners: [{ service: 'consumer' }] });
  });
  afterAll(async () => {
    await proxy.stop();
    await broker.cleanup();
  });

  it(`property: what each consumer receives and what the broker keeps equal a run without the proxy (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('amqplib' as const, 'rabbitmq-client' as const),
        fc.array(fc.constantFrom<Action>('ack', 'ack', 'ack-multiple', 'nack', 'reject', 'keep'), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.constantFrom(0, 3, 50),
        async (client, actions, prefetch) => {
          // A `keep` under a small prefetch would stall the consumer, with or without the proxy.
          const effective =
            prefetch !== 0 && prefetch < actions.length
              ? actions.map((a) => (a === 'keep' ? 'ack' : a))
              : actions;
          const direct = await run(broker, AMQP_URL, client, effective, prefetch);
          const proxied = await run(broker, proxy.urlFor('consumer'), client, effective, prefetch);
          expect(proxied).toEqual(direct);
        },
      ),
      { seed, numRuns: 10 },
    );
    expect(proxy.faultLog()).toEqual([]);
  });
});
