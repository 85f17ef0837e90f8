import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { FaultInjector } from '../../../harness/scenario/fault-injector';
import type { ScenarioFault } from '../../../harness/scenario/scenario-schema';
import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';
import type { Delivery } from '../../../harness/transport/transport';

const exchange = 'fault-test';
const queue = 'fault-test.payments';

function message(type: string, id: string) {
  return {
    routingKey: `orders.${type}`,
    body: Buffer.from(JSON.stringify({ eventId: id, eventType: type, correlationId: id, payload: {} })),
    messageId: id,
    type,
  };
}

async function setUp(faults: ScenarioFault[], actions: Partial<Parameters<FaultInjector['bind']>[0]> = {}) {
  const bus = new InMemoryTransport();
  const injector = new FaultInjector(faults);
  injector.bind({
    adapter: troupeEnvelopeAdapter(),
    serviceOfQueue: (name) => (name === queue ? 'payments' : undefined),
    cutConnections: () => Promise.resolve('cut'),
    restartService: () => Promise.resolve('restarted'),
    ...actions,
  });
  const transport = injector.wrap(bus);
  await transport.declare({
    exchanges: [{ name: exchange, type: 'topic' }],
    queues: [{ name: queue, exchange, bindings: ['orders.#'] }],
  });
  const handled: { type: string; redelivered: boolean }[] = [];
  let resolveCount: (() => void) | undefined;
  let wanted = 0;
  const until = (count: number) =>
    new Promise<void>((resolve) => {
      wanted = count;
      resolveCount = resolve;
      if (handled.length >= wanted) resolve();
    });
  await transport.consume(
    queue,
    (delivery: Delivery) => {
      handled.push({ type: delivery.type ?? '?', redelivered: delivery.redelivered });
      if (handled.length >= wanted) resolveCount?.();
      return Promise.resolve('ack');
    },
    { prefetch: 10 },
  );
  return { transport, injector, handled, until };
}

describe('FaultInjector (in-memory transport)', () => {
  it('reorder: holds a delivery back until the next one on the queue has been handled', async () => {
    const { transport, injector, handled, until } = await setUp([
      { reorder: { event: 'First', window: 5_000, service: 'payments' } },
    ]);
    await transport.publish(exchange, message('First', 'a'));
    await transport.publish(exchange, message('Second', 'b'));
    await until(2);
    expect(handled.map((entry) => entry.type)).toEqual(['Second', 'First']);
    expect(injector.applied()).toEqual([expect.objectContaining({ kind: 'reorder' })]);
    await transport.close();
  });

  it('reorder: a lone delivery is released when the window passes', async () => {
    const { transport, handled, until } = await setUp([{ reorder: { event: 'First', window: 30 } }]);
    await transport.publish(exchange, message('First', 'a'));
    await until(1);
    expect(handled.map((entry) => entry.type)).toEqual(['First']);
    await transport.close();
  });

  it('delay: the named service gets the event late, after later deliveries', async () => {
    const { transport, handled, until } = await setUp([
      { delay: { event: 'First', by: 60, service: 'payments' } },
    ]);
    const started = performance.now();
    await transport.publish(exchange, message('First', 'a'));
    await transport.publish(exchange, message('Second', 'b'));
    await until(2);
    expect(handled.map((entry) => entry.type)).toEqual(['Second', 'First']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    await transport.close();
  });

  it('duplicate publishes extra copies with the same message id', async () => {
    const { transport, handled, until } = await setUp([{ duplicate: { event: 'First', copies: 2 } }]);
    await transport.publish(exchange, message('First', 'a'));
    await until(3);
    expect(handled).toEqual([
      { type: 'First', redelivered: false },
      { type: 'First', redelivered: false },
      { type: 'First', redelivered: false },
    ]);
    await transport.close();
  });

  it('redeliver requeues after the handler ran, so the broker delivers it again flagged redelivered', async () => {
    const { transport, handled, until } = await setUp([{ redeliver: { event: 'First', times: 2 } }]);
    await transport.publish(exchange, message('First', 'a'));
    await until(3);
    expect(handled).toEqual([
      { type: 'First', redelivered: false },
      { type: 'First', redelivered: true },
      { type: 'First', redelivered: true },
    ]);
    await transport.close();
  });

  it('cutConnections fires once on publication of its event, holding consumers until the cut is done', async () => {
    let finishCut: (() => void) | undefined;
    let cutStarted: (() => void) | undefined;
    const started = new Promise<void>((resolve) => (cutStarted = resolve));
    const cuts: string[] = [];
    const { transport, injector, handled, until } = await setUp([{ cutConnections: { after: 'First' } }], {
      cutConnections: () => {
        cuts.push('cut');
        cutStarted?.();
        return new Promise<string>((resolve) => (finishCut = () => resolve('cut done')));
      },
    });
    await transport.publish(exchange, message('First', 'a'));
    await transport.publish(exchange, message('First', 'b'));
    await started;
    expect(cuts).toEqual(['cut']); // once, although First was published twice
    expect(handled).toEqual([]); // both deliveries wait at the gate while the cut is applied
    finishCut?.();
    await until(2);
    await injector.settled();
    expect(injector.applied()).toEqual([
      expect.objectContaining({ kind: 'cutConnections', detail: 'after First: cut done' }),
    ]);
    await transport.close();
  });

  it('a message the adapter throws on passes through untouched', async () => {
    const { transport, handled, until } = await setUp([{ duplicate: { event: 'First', copies: 1 } }], {
      adapter: {
        read: () => {
          throw new SyntaxError('not for this adapter');
        },
      },
    });
    await transport.publish(exchange, message('First', 'a'));
    await until(1);
    expect(handled).toEqual([{ type: 'First', redelivered: false }]);
    await transport.close();
  });

  it('a failing restart is reported by settled(), not raised as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      let attempted: (() => void) | undefined;
      const restartAttempted = new Promise<void>((resolve) => (attempted = resolve));
      const { transport, injector } = await setUp(
        [{ restartService: { after: 'First', service: 'payments' } }],
        {
          restartService: () => {
            attempted?.();
            return Promise.reject(new Error('restart failed'));
          },
        },
      );
      await transport.publish(exchange, message('First', 'a'));
      await restartAttempted;
      // Node reports an unhandled rejection once the microtask queue has drained: let a macrotask turn pass.
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      await expect(injector.settled()).rejects.toThrow('restart failed');
      await transport.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
