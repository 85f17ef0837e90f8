import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import type { ConnectionState } from '../../../harness/transport/amqp/amqp-transport';
import type { AmqpTransportError } from '../../../harness/transport/amqp/amqp-transport-error';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { closeOwnConnections } from '../../../harness/transport/amqp/rabbitmqctl';
import type { Delivery } from '../../../harness/transport/transport';

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const base = `it.reconnect.${randomBytes(4).toString('hex')}`;
const exchange = `${base}.events`;
const work = `${base}.work`;
const spare = `${base}.spare`; // never consumed: only the transport's own re-declaration can bring it back
const tap = `${base}.tap`;
const stream = `${base}.stream`;
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const WAIT_MS = 10_000;

/** Resolves when `check` holds; re-checked on every `poke()`. Rejects with `what` and `seen()` at the deadline. */
class Condition {
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  poke(): void {
    this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
  }
  until(what: string, check: () => boolean, seen: () => string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; saw ${seen()}`)),
        WAIT_MS,
      );
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

describe('AmqpTransport across a connection cut (rabbitmqctl close_connection of its own connection)', () => {
  const name = connectionName('it-reconnect');
  const states: ConnectionState[] = [];
  const errors: AmqpTransportError[] = [];
  const changed = new Condition();
  let transport: AmqpTransport;
  let admin: Connection;

  beforeAll(async () => {
    admin = new Connection({ url, connectionName: connectionName('it-reconnect-admin') });
    admin.on('error', () => undefined);
    transport = new AmqpTransport({
      url,
      connectionName: name,
      retryLowMs: 50,
      onConnectionState: (event) => {
        states.push(event.state);
        changed.poke();
      },
      onError: (error) => errors.push(error),
    });
    await transport.connected();
  });

  afterAll(async () => {
    await transport.close();
    for (const queue of [work, spare, stream]) await admin.queueDelete({ queue });
    await admin.exchangeDelete({ exchange });
    await admin.close();
  });

  it('re-declares topology, confirms publishes, resumes consumers and redelivers unacked messages', async () => {
    await transport.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [
        { name: work, exchange, bindings: ['work.#'] },
        { name: spare, exchange, bindings: ['spare.#'] },
        { name: tap, exchange, bindings: ['#'], kind: 'classic', exclusive: true },
      ],
    });
    const worked: Delivery[] = [];
    const tapped: Delivery[] = [];
    let releaseHeld = (): void => undefined;
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    const body = (d: Delivery): string => decoder.decode(d.body);
    const seen = (): string =>
      `states=${states.join(',')} work=[${worked.map((d) => `${body(d)}${d.redelivered ? '*' : ''}`).join(' ')}] ` +
      `tap=[${tapped.map(body).join(' ')}]`;
    await transport.consume(
      work,
      async (d) => {
        worked.push(d);
        changed.poke();
        // First deliveries of hold-* stay unacked until the connection is gone.
        if (body(d).startsWith('hold') && !d.redelivered) await held;
        return 'ack';
      },
      { prefetch: 3 },
    );
    await transport.consume(tap, (d) => {
      tapped.push(d);
      changed.poke();
      return Promise.resolve('ack');
    });
    const publish = (routingKey: string, text: string): Promise<void> =>
      transport.publish(exchange, { routingKey, body: encoder.encode(text), messageId: text });

    for (const text of ['hold-1', 'hold-2', 'hold-3']) await publish('work.item', text);
    await changed.until('3 held deliveries', () => worked.length === 3, seen);
    // Delete a declared queue behind the transport's back: only re-declaration after reconnect restores it.
    await admin.queueDelete({ queue: spare });

    expect(await closeOwnConnections(name, 'troupe test: cut own connection')).toBe(1);
    await changed.until('disconnected', () => states.includes('disconnected'), seen);
    releaseHeld(); // their acks die with the channel; the broker must redeliver them
    const during = publish('work.item', 'during'); // issued while reconnecting: confirmed once reconnected
    await changed.until('reconnected', () => states.includes('reconnected'), seen);
    await during;
    await publish('work.item', 'after');
    await publish('spare.item', 'spare');

    const redelivered = (text: string): boolean => worked.some((d) => body(d) === text && d.redelivered);
    await changed.until(
      'held messages redelivered, during and after consumed, tap resumed',
      () =>
        ['hold-1', 'hold-2', 'hold-3'].every(redelivered) &&
        worked.some((d) => body(d) === 'during') &&
        worked.some((d) => body(d) === 'after') &&
        tapped.some((d) => body(d) === 'spare'),
      seen,
    );
    expect(states).toEqual(['connected', 'disconnected', 'reconnected']);
    const kept = await admin.basicGet({ queue: spare, noAck: true });
    expect(kept === undefined ? undefined : Buffer.from(kept.body as Buffer).toString()).toBe('spare');
    expect(errors.map((e) => e.code)).toContain('connection-lost');
  });
  it('loses no confirmed publish across three cuts while publishing and consuming continuously', async () => {
    await transport.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: stream, exchange, bindings: ['stream.#'] }],
    });
    const received = new Set<string>();
    const confirmed = new Set<string>();
    let failedPublishes = 0;
    const progress = new Condition();
    const seen = (): string =>
      `states=${states.join(',')} confirmed=${confirmed.size} received=${received.size} failed=${failedPublishes}`;
    await transport.consume(stream, (d) => {
      received.add(d.messageId ?? '?');
      progress.poke();
      return Promise.resolve('ack');
    });
    // Like an outbox relay: publish in order, retry a publish that was not confirmed.
    let stop = false;
    const relay = (async () => {
      for (let i = 0; !stop; i++) {
        const id = `s${i}`;
        // Checks `stop` too: a failing test must end this loop, not spin on a closed transport.
        while (!stop) {
          try {
            await transport.publish(exchange, {
              routingKey: 'stream.item',
              body: encoder.encode(id),
              messageId: id,
            });
            confirmed.add(id);
            progress.poke();
            break;
          } catch {
            failedPublishes += 1;
          }
        }
      }
    })();
    const reconnects = (): number => states.filter((s) => s === 'reconnected').length;
    const before = reconnects();
    try {
      for (let cut = 1; cut <= 3; cut++) {
        const target = confirmed.size + 50;
        await progress.until(`${target} confirmed before cut ${cut}`, () => confirmed.size >= target, seen);
        expect(await closeOwnConnections(name, `troupe test: cut ${cut}`)).toBe(1);
        await changed.until(`reconnect ${cut}`, () => reconnects() >= before + cut, seen);
      }
      const target = confirmed.size + 50;
      await progress.until('50 more confirmed after the last cut', () => confirmed.size >= target, seen);
    } finally {
      stop = true;
      await relay;
    }
    await progress.until(
      'every confirmed message consumed',
      () => [...confirmed].every((id) => received.has(id)),
      seen,
    );
  });
});
