import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { shopCatalog, type ShopEvent } from '../../../reference-services/events/catalog';
import { deadLetterHeaders } from '../../../reference-services/kit/dead-letter';
import { consumersOf, serviceNames } from '../../../reference-services/services';
import { produceEvent } from '../../../reference-services/verification';
import type { Delivery, Subscription } from '../../../harness/transport/transport';
import { customers, items, shopUnderTest, type ShopUnderTest } from './shop-harness';

const runs = Number(process.env['TROUPE_HOSTILE_RUNS'] ?? 25);
const seed = Number(process.env['TROUPE_HOSTILE_SEED'] ?? Date.now() % 2 ** 31);

/** Paths to every leaf and object inside a JSON value. */
function paths(value: unknown, prefix: readonly (string | number)[] = []): (readonly (string | number)[])[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))].filter(
    (p) => p.length > 0,
  );
}

function mutate(event: ShopEvent, path: readonly (string | number)[]): string {
  const copy = JSON.parse(JSON.stringify(event)) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  // No field of the envelope or of any payload accepts this object: the message must be refused.
  node[path[path.length - 1] as string | number] = { hostile: true };
  return JSON.stringify(copy);
}

describe('hostile messages at every service queue (fast-check)', () => {
  let it_: ShopUnderTest;
  const dead = new Map<string, Delivery>();
  const subscriptions: Subscription[] = [];
  let samples: ShopEvent[] = [];
  let arrived: (() => void) | undefined;

  beforeAll(async () => {
    it_ = await shopUnderTest();
    for (const service of serviceNames) {
      subscriptions.push(
        await it_.transport.consume(it_.shop.names.deadLetterQueue(service), (delivery) => {
          if (delivery.messageId) dead.set(delivery.messageId, delivery);
          arrived?.();
          return Promise.resolve('ack');
        }),
      );
    }
    samples = await Promise.all(shopCatalog.types().map((type) => produceEvent(type as 'OrderPlaced')));
  });
  afterAll(async () => {
    for (const subscription of subscriptions) await subscription.close();
    await it_.dispose();
  });

  it(`dead-letters every hostile message with a reason; valid traffic unaffected (seed ${seed}, ${runs} runs)`, async () => {
    console.log(`hostile property: seed=${seed} runs=${runs} (TROUPE_HOSTILE_SEED / TROUPE_HOSTILE_RUNS)`);
    const sample = fc.integer({ min: 0, max: 10_000 }).map((i) => samples[i % samples.length] as ShopEvent);
    const hostile = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 512 }).map((bytes) => ({ body: bytes, to: undefined })),
      fc.tuple(sample, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })).map(([event, cut]) => {
        const text = JSON.stringify(event);
        // At least one character short: the whole text would be a valid event, not a hostile one.
        return { body: text.slice(0, Math.floor(text.length * cut)), to: consumersOf(event.eventType)[0] };
      }),
      fc.tuple(sample, fc.nat()).map(([event, pick]) => {
        const all = paths(event);
        return {
          body: mutate(event, all[pick % all.length] ?? ['eventId']),
          to: consumersOf(event.eventType)[0],
        };
      }),
      fc.tuple(sample, fc.integer({ min: 200_000, max: 1_500_000 })).map(([event, size]) => ({
        body: JSON.stringify({ ...event, payload: { ...event.payload, orderId: 'x'.repeat(size) } }),
        to: consumersOf(event.eventType)[0],
      })),
    );
    const message = fc.tuple(hostile, fc.constantFrom(...serviceNames)).map(([m, fallback]) => ({
      body: m.body,
      service: m.to ?? fallback,
    }));

    const details = await fc.check(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 6 }), async (batch) => {
        const { shop, transport } = it_;
        const ids: string[] = [];
        for (const { body, service } of batch) {
          const messageId = randomUUID();
          ids.push(messageId);
          await transport.publish('', {
            routingKey: shop.names.queue(service),
            body: Buffer.from(body),
            messageId,
          });
        }
        const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
        const deadline = Date.now() + 15_000;
        while (!ids.every((id) => dead.has(id))) {
          if (Date.now() > deadline)
            throw new Error(`not dead-lettered: ${ids.filter((id) => !dead.has(id)).join(', ')}`);
          await new Promise<void>((resolve) => {
            arrived = resolve;
            setTimeout(resolve, 200);
          });
        }
        for (const id of ids) {
          const headers = dead.get(id)?.headers ?? {};
          if (typeof headers[deadLetterHeaders.code] !== 'string') throw new Error(`no reason code on ${id}`);
          const reason = headers[deadLetterHeaders.reason];
          // rabbitmq-client may hand string headers back as Buffers: either is a reason.
          if (!(typeof reason === 'string' || Buffer.isBuffer(reason)) || reason.length === 0) {
            throw new Error(`no reason on ${id}`);
          }
        }
        const order = await shop.waitForTerminal(orderId, 15_000);
        if (order.status !== 'shipped') throw new Error(`valid order ended ${order.status}`);
      }),
      { seed, numRuns: runs },
    );
    console.log(`hostile property: ${details.numRuns} of ${runs} runs executed (seed ${seed})`);
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'hostile property failed');
    const state = await it_.shop.state();
    expect(state.orders.every((order) => order.status === 'shipped')).toBe(true);
    expect(state.charges).toHaveLength(state.orders.length);
  });
});
