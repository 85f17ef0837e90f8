/**
 * The Transport behaviour suite (emmett style): one set of tests, run against every adapter through a factory.
 * `test/integration/transport/amqp-transport.test.ts` runs it on RabbitMQ; the in-memory transport runs the
 * same suite. Nothing here sleeps: every wait is for an observed delivery, with a deadline that reports what
 * was seen.
 */
import { deadLetterQueueName } from '../../harness/transport/dead-letter';
import type {
  Delivery,
  DeliveryOutcome,
  ExchangeType,
  Topology,
  Transport,
} from '../../harness/transport/transport';

/** Names one test created, so a real-broker fixture can delete them afterwards. */
export interface CreatedNames {
  readonly exchanges: readonly string[];
  readonly queues: readonly string[];
}

export interface TransportBehaviourFixture {
  /** Shown in the describe block. */
  readonly name: string;
  /** A fresh, connected transport. Every test closes what it created. */
  create(): Promise<Transport>;
  /** Unique per run (random suffix) so concurrent runs on one broker never share a queue. */
  readonly prefix: string;
  /** Deletes what one test declared (real brokers); called after the test's transports are closed. */
  cleanup?(names: CreatedNames): Promise<void>;
  /** Extra proof that `close()` left nothing behind (e.g. no broker connection with its name). */
  assertNothingRunning?(transport: Transport): Promise<void>;
  /** Per-wait deadline, ms. Default 5000. */
  readonly waitMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (bytes: Uint8Array): string => decoder.decode(bytes);

/** Collects deliveries and resolves waits the moment a condition holds (push-based, no polling). */
class Received {
  readonly deliveries: Delivery[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(private readonly waitMs: number) {}

  add(delivery: Delivery): void {
    this.deliveries.push(delivery);
    this.wake();
  }

  /** A handler that records every delivery and acks it. */
  readonly ackAll = (delivery: Delivery): Promise<DeliveryOutcome> => {
    this.add(delivery);
    return Promise.resolve('ack');
  };

  wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  bodies(): string[] {
    return this.deliveries.map((d) => text(d.body));
  }

  until(what: string, check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.check !== check);
        reject(
          new Error(
            `timed out after ${this.waitMs} ms waiting for ${what}; saw [${this.bodies().join(', ')}]`,
          ),
        );
      }, this.waitMs);
      this.waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  count(n: number): Promise<void> {
    return this.until(`${n} deliveries`, () => this.deliveries.length >= n);
  }
}

/** A promise with its resolve function outside, to hold handlers until a test lets them go. */
function gate(): { readonly opened: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Registers the behaviour suite for one Transport adapter. Call at the top level of a test file.
 */
export function transportBehaviour(fixture: TransportBehaviourFixture): void {
  const waitMs = fixture.waitMs ?? 5000;
  let testNo = 0;
  let transports: Transport[] = [];
  let exchanges: string[] = [];
  let queues: string[] = [];

  const open = async (): Promise<Transport> => {
    const transport = await fixture.create();
    transports.push(transport);
    return transport;
  };

  /** Declares one exchange (topic unless told) and the given queues (bindings) with fresh unique names. */
  const topology = (
    queueSpecs: Record<string, { bindings: string[]; deadLetter?: boolean }>,
    type: ExchangeType = 'topic',
  ): { topology: Topology; exchange: string; dlx: string; queue: (key: string) => string } => {
    testNo += 1;
    const base = `${fixture.prefix}.t${testNo}`;
    const exchange = `${base}.events`;
    const dlx = `${base}.dlx`;
    exchanges.push(exchange);
    const names: Record<string, string> = {};
    const specs = Object.entries(queueSpecs).map(([key, spec]) => {
      const name = `${base}.${key}`;
      names[key] = name;
      queues.push(name);
      if (spec.deadLetter === true) {
        queues.push(deadLetterQueueName(name));
        if (!exchanges.includes(dlx)) exchanges.push(dlx);
      }
      return spec.deadLetter === true
        ? [
            { name, exchange, bindings: spec.bindings, deadLetterExchange: dlx },
            // Declared explicitly (as reference-services/kit/topology.ts does) so every adapter has the DLQ.
            { name: deadLetterQueueName(name), exchange: dlx, bindings: [name] },
          ]
        : [{ name, exchange, bindings: spec.bindings }];
    });
    const dead = exchanges.includes(dlx) ? [{ name: dlx, type: 'topic' as const }] : [];
    return {
      topology: { exchanges: [{ name: exchange, type }, ...dead], queues: specs.flat() },
      exchange,
      dlx,
      queue: (key) => {
        const name = names[key];
        if (name === undefined) throw new Error(`no queue ${key} in this test's topology`);
        return name;
      },
    };
  };

  const message = (routingKey: string, body: string, id = body): Parameters<Transport['publish']>[1] => ({
    routingKey,
    body: encoder.encode(body),
    messageId: id,
    correlationId: `corr-${id}`,
    type: 'TestEvent',
    contentType: 'application/json',
    headers: { 'x-test': id },
  });

  describe(`Transport behaviour: ${fixture.name}`, () => {
    afterEach(async () => {
      const closing = transports;
      transports = [];
      await Promise.all(closing.map((t) => t.close()));
      const created = { exchanges, queues };
      exchanges = [];
      queues = [];
      await fixture.cleanup?.(created);
    });

    it('delivers a published message with its body bytes and properties', async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['orders.#'] } });
      await t.declare(topo);
      const got = new Received(waitMs);
      await t.consume(queue('q'), got.ackAll);
      const poison = new Uint8Array([0x7b, 0x22, 0xff, 0x00, 0x0a]); // truncated, non-UTF-8 "JSON"
      await t.publish(exchange, message('orders.order.placed', '{"n":1}', 'm1'));
      await t.publish(exchange, {
        routingKey: 'orders.bytes',
        body: poison,
        contentType: 'application/json',
      });
      await got.count(2);
      const [first, second] = got.deliveries;
      expect(first).toMatchObject({
        exchange,
        queue: queue('q'),
        routingKey: 'orders.order.placed',
        messageId: 'm1',
        correlationId: 'corr-m1',
        type: 'TestEvent',
        contentType: 'application/json',
        redelivered: false,
      });
      expect(first?.headers['x-test']).toBe('m1');
      expect(JSON.parse(text(first?.body ?? new Uint8Array()))).toEqual({ n: 1 });
      expect(typeof first?.deliveryTag).toBe('number');
      expect([...(second?.body ?? [])]).toEqual([...poison]);
    });

    it('routes by topic pattern: * is exactly one word, # is zero or more', async () => {
      const t = await open();
      const {
        topology: topo,
        exchange,
        queue,
      } = topology({
        star: { bindings: ['a.*'] },
        hash: { bindings: ['a.#'] },
        mid: { bindings: ['*.b.#'] },
      });
      await t.declare(topo);
      const got = { star: new Received(waitMs), hash: new Received(waitMs), mid: new Received(waitMs) };
      for (const key of ['star', 'hash', 'mid'] as const) {
        await t.consume(queue(key), got[key].ackAll);
      }
      for (const key of ['a', 'a.b', 'a.b.c', 'b.a', 'x.b', 'ab.b.c.d'])
        await t.publish(exchange, message(key, key));
      // The sentinel matches all three bindings; per-queue FIFO means everything routed earlier has arrived.
      await t.publish(exchange, message('a.b.end', 'end'));
      await t.publish(exchange, message('a.end', 'end2'));
      await Promise.all([
        got.star.until('sentinel', () => got.star.bodies().includes('end2')),
        got.hash.until('sentinel', () => got.hash.bodies().includes('end2')),
        got.mid.until('sentinel', () => got.mid.bodies().includes('end')),
      ]);
      expect(got.star.bodies()).toEqual(['a.b', 'end2']);
      expect(got.hash.bodies()).toEqual(['a', 'a.b', 'a.b.c', 'end', 'end2']);
      expect(got.mid.bodies()).toEqual(['a.b', 'a.b.c', 'x.b', 'ab.b.c.d', 'end']);
    });

    it('routes a headers binding without arguments to its queue whatever the routing key', async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ all: { bindings: [''] } }, 'headers');
      await t.declare(topo);
      const got = new Received(waitMs);
      await t.consume(queue('all'), got.ackAll);
      for (const key of ['a', '', 'orders.order.placed']) await t.publish(exchange, message(key, `k:${key}`));
      await got.count(3);
      expect(got.bodies()).toEqual(['k:a', 'k:', 'k:orders.order.placed']);
    });

    it('resolves publish only once the message is stored (a later consumer receives it)', async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['#'] } });
      await t.declare(topo);
      for (let i = 0; i < 5; i++) await t.publish(exchange, message('k', `c${i}`));
      const got = new Received(waitMs);
      await t.consume(queue('q'), got.ackAll);
      await got.count(5);
      expect(got.bodies()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    });

    it('rejects publish to an exchange that does not exist', async () => {
      const t = await open();
      testNo += 1;
      await expect(
        t.publish(`${fixture.prefix}.t${testNo}.missing`, message('k', 'lost')),
      ).rejects.toBeInstanceOf(Error);
    });

    it("dead-letters a 'reject' to the queue's DLQ (routing key = source queue)", async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['#'], deadLetter: true } });
      await t.declare(topo);
      const seen = new Received(waitMs);
      const dead = new Received(waitMs);
      await t.consume(queue('q'), (d) => {
        seen.add(d);
        return Promise.resolve(text(d.body) === 'bad' ? 'reject' : 'ack');
      });
      await t.consume(deadLetterQueueName(queue('q')), dead.ackAll);
      await t.publish(exchange, message('orders.x', 'bad'));
      await t.publish(exchange, message('orders.x', 'good'));
      await dead.count(1);
      await seen.count(2);
      // The convention of harness/transport/dead-letter.ts: one DLQ per source queue, keyed by its name.
      expect(dead.deliveries[0]).toMatchObject({ messageId: 'bad', routingKey: queue('q') });
      expect(Array.isArray(dead.deliveries[0]?.headers['x-death'])).toBe(true);
      expect(text(dead.deliveries[0]?.body ?? new Uint8Array())).toBe('bad');
    });

    it("redelivers a 'requeue' with redelivered=true", async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['#'] } });
      await t.declare(topo);
      const got = new Received(waitMs);
      await t.consume(queue('q'), (d) => {
        got.add(d);
        return Promise.resolve<DeliveryOutcome>(got.deliveries.length === 1 ? 'requeue' : 'ack');
      });
      await t.publish(exchange, message('k', 'again'));
      await got.count(2);
      expect(got.deliveries.map((d) => [text(d.body), d.redelivered])).toEqual([
        ['again', false],
        ['again', true],
      ]);
    });

    it('treats a handler that throws as requeue and keeps consuming', async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['#'] } });
      await t.declare(topo);
      const got = new Received(waitMs);
      await t.consume(queue('q'), (d) => {
        got.add(d);
        if (got.deliveries.length === 1)
          return Promise.reject(new Error('handler bug (expected by the test)'));
        return Promise.resolve('ack');
      });
      await t.publish(exchange, message('k', 'boom'));
      await t.publish(exchange, message('k', 'next'));
      await got.until('boom redelivered and next', () => got.deliveries.length >= 3);
      const boom = got.deliveries.filter((d) => text(d.body) === 'boom');
      expect(boom.map((d) => d.redelivered)).toEqual([false, true]);
      expect(got.bodies()).toContain('next');
    });

    it('respects prefetch: unacked deliveries beyond it stay available to other consumers', async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['#'] } });
      await t.declare(topo);
      const held = gate();
      const slow = new Received(waitMs);
      const fast = new Received(waitMs);
      const slowSub = await t.consume(
        queue('q'),
        async (d) => {
          slow.add(d);
          await held.opened;
          return 'ack';
        },
        { prefetch: 2 },
      );
      for (let i = 0; i < 5; i++) await t.publish(exchange, message('k', `p${i}`));
      await slow.count(2);
      await t.consume(queue('q'), fast.ackAll);
      // Only possible if the slow consumer holds no more than its prefetch of 2.
      await fast.count(3);
      expect(slow.deliveries).toHaveLength(2);
      expect([...slow.bodies(), ...fast.bodies()].sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
      held.open();
      await slowSub.close();
    });

    it('shares one queue between competing consumers, each message to exactly one', async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['#'] } });
      await t.declare(topo);
      const a = new Received(waitMs);
      const b = new Received(waitMs);
      // Each holds its first message until both have one: with prefetch 1 that forces the queue to feed both.
      const both = gate();
      const bothHaveOne = (): void => {
        if (a.deliveries.length > 0 && b.deliveries.length > 0) both.open();
      };
      const competitor = (mine: Received) => async (d: Delivery) => {
        mine.add(d);
        bothHaveOne();
        a.wake(); // the wait below watches both collectors
        b.wake();
        await both.opened;
        return 'ack' as const;
      };
      await t.consume(queue('q'), competitor(a), { prefetch: 1 });
      await t.consume(queue('q'), competitor(b), { prefetch: 1 });
      const sent = Array.from({ length: 20 }, (_, i) => `c${i}`);
      for (const body of sent) await t.publish(exchange, message('k', body));
      await a.until('all 20 delivered', () => a.deliveries.length + b.deliveries.length >= 20);
      const received = [...a.bodies(), ...b.bodies()];
      expect(received.sort()).toEqual([...sent].sort());
      expect(a.deliveries.length).toBeGreaterThan(0);
      expect(b.deliveries.length).toBeGreaterThan(0);
      expect(received.every((d) => d.startsWith('c'))).toBe(true);
    });

    it('stops delivering after Subscription.close(); the message waits for the next consumer', async () => {
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['#'] } });
      await t.declare(topo);
      const first = new Received(waitMs);
      const sub = await t.consume(queue('q'), first.ackAll);
      await t.publish(exchange, message('k', 'one'));
      await first.count(1);
      await sub.close();
      await t.publish(exchange, message('k', 'two'));
      const second = new Received(waitMs);
      await t.consume(queue('q'), second.ackAll);
      await second.count(1);
      expect(first.bodies()).toEqual(['one']);
      expect(second.bodies()).toEqual(['two']);
    });

    it('close() stops consumers and refuses further work', async () => {
      // (Whether a message published by another client after close() stays queued needs a shared broker: that is
      // checked in the AMQP test, not here — each in-memory transport is its own broker.)
      const t = await open();
      const { topology: topo, exchange, queue } = topology({ q: { bindings: ['#'] } });
      await t.declare(topo);
      const got = new Received(waitMs);
      await t.consume(queue('q'), got.ackAll);
      await t.publish(exchange, message('k', 'before'));
      await got.count(1);
      await t.close();
      await expect(t.publish(exchange, message('k', 'after'))).rejects.toBeInstanceOf(Error);
      await expect(t.consume(queue('q'), () => Promise.resolve('ack'))).rejects.toBeInstanceOf(Error);
      await fixture.assertNothingRunning?.(t);
      expect(got.bodies()).toEqual(['before']);
    });
  });
}
