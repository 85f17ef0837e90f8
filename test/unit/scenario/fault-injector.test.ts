import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { FaultInjector } from '../../../harness/scenario/fault-injector';
import type { ScenarioFault } from '../../../harness/scenario/scenario-schema';
import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';
import type { Delivery } from '../../../harness/transport/transport';
import type { StartedTarget, TargetService } from '../../../harness/target/target';
import { LifecycleFaults } from '../../../harness/scenario/_internals/lifecycle-faults';

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
      { kind: 'reorder', event: 'First', window: 5_000, service: 'payments' },
    ]);
    await transport.publish(exchange, message('First', 'a'));
    await transport.publish(exchange, message('Second', 'b'));
    await until(2);
    expect(handled.map((entry) => entry.type)).toEqual(['Second', 'First']);
    expect(injector.applied()).toEqual([expect.objectContaining({ kind: 'reorder' })]);
    await transport.close();
  });

  it('reorder: a lone delivery is released when the window passes', async () => {
    const { transport, handled, until } = await setUp([{ kind: 'reorder', event: 'First', window: 30 }]);
    await transport.publish(exchange, message('First', 'a'));
    await until(1);
    expect(handled.map((entry) => entry.type)).toEqual(['First']);
    await transport.close();
  });

  it('delay: the named service gets the event late, after later deliveries', async () => {
    const { transport, handled, until } = await setUp([
      { kind: 'delay', event: 'First', by: 60, service: 'payments' },
    ]);
    const started = performance.now();
    await transport.publish(exchange, message('First', 'a'));
    await transport.publish(exchange, message('Second', 'b'));
    await until(2);
    expect(handled.map((entry) => entry.type)).toEqual(['Second', 'First']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    await transport.close();
  });

  it('duplicate without a service publishes extra copies with the same message id, marked as chaos', async () => {
    const bus = new InMemoryTransport();
    const seen: Delivery[] = [];
    const injector = new FaultInjector([{ kind: 'duplicate', event: 'First', copies: 2 }]);
    injector.bind({ adapter: troupeEnvelopeAdapter(), serviceOfQueue: () => 'payments' });
    const transport = injector.wrap(bus);
    await transport.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: queue, exchange, bindings: ['orders.#'] }],
    });
    await bus.consume(queue, (delivery) => {
      seen.push(delivery);
      return Promise.resolve('ack');
    });
    await transport.publish(exchange, message('First', 'a'));
    await bus.whenIdle();
    expect(seen.map((delivery) => [delivery.messageId, delivery.headers['x-troupe-injected']])).toEqual([
      ['a', undefined],
      ['a', 'chaos'],
      ['a', 'chaos'],
    ]);
    await transport.close();
  });

  it('duplicate to a service: that consumer handles the same delivery again', async () => {
    const { transport, handled, until } = await setUp([
      { kind: 'duplicate', event: 'First', copies: 1, service: 'payments' },
    ]);
    await transport.publish(exchange, message('First', 'a'));
    await until(2);
    expect(handled).toEqual([
      { type: 'First', redelivered: false },
      { type: 'First', redelivered: false },
    ]);
    await transport.close();
  });

  it('redeliver requeues after the handler ran, so the broker delivers it again flagged redelivered', async () => {
    const { transport, handled, until } = await setUp([{ kind: 'redeliver', event: 'First', times: 2 }]);
    await transport.publish(exchange, message('First', 'a'));
    await until(3);
    expect(handled).toEqual([
      { type: 'First', redelivered: false },
      { type: 'First', redelivered: true },
      { type: 'First', redelivered: true },
    ]);
    await transport.close();
  });

  it('left to the proxy: faults no message, but still sees every delivery and publication', async () => {
    const deliveries: boolean[] = [];
    const published: string[] = [];
    const { transport, injector, handled, until } = await setUp(
      [
        { kind: 'duplicate', event: 'First', copies: 2 },
        { kind: 'duplicate', event: 'First', service: 'payments', copies: 1 },
        { kind: 'redeliver', event: 'First', service: 'payments', times: 1 },
      ],
      {
        onDelivery: (delivery) => deliveries.push(delivery.redelivered),
        onPublish: (type) => published.push(type),
      },
    );
    injector.leaveMessageFaultsToProxy();
    expect(injector.inProcess).toBe(true);
    expect(injector.appliesMessageFaults).toBe(false);
    await transport.publish(exchange, message('First', 'a'));
    await transport.publish(exchange, message('Second', 'b'));
    await until(2);
    // Nothing more arrives: no copy was published, handled again or requeued.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(handled).toEqual([
      { type: 'First', redelivered: false },
      { type: 'Second', redelivered: false },
    ]);
    expect(deliveries).toEqual([false, false]);
    expect(published).toEqual(['First', 'Second']);
    expect(injector.applied()).toEqual([]);
    await transport.close();
  });

  it('pause: the service holds every delivery for the window', async () => {
    const { transport, injector, handled, until } = await setUp([]);
    injector.pause('payments', 80);
    const started = performance.now();
    await transport.publish(exchange, message('First', 'a'));
    await until(1);
    expect(handled).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    await transport.close();
  });

  it('a message the adapter throws on passes through untouched', async () => {
    const { transport, handled, until } = await setUp([{ kind: 'duplicate', event: 'First', copies: 1 }], {
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
});

/** A started target whose services only record what was done to them. */
function recordingTarget(actions: string[], cut: () => Promise<string>): StartedTarget {
  const service = (name: string): TargetService => ({
    name,
    external: false,
    queues: [`q.${name}`],
    running: true,
    brokerUrl: undefined,
    start: () => Promise.resolve(void actions.push(`start ${name}`)),
    stop: () => Promise.resolve(undefined),
    kill: () => Promise.resolve(void actions.push(`kill ${name}`)),
    restart: () =>
      Promise.reject(new Error(`restart ${name} failed`)).finally(() => actions.push(`restart ${name}`)),
    cut,
    output: () => [],
    tail: () => [],
  });
  const services = [service('payments')];
  return {
    services,
    service: (name: string) => services.find((entry) => entry.name === name) ?? services[0]!,
  } as unknown as StartedTarget;
}

describe('LifecycleFaults', () => {
  it('a cut fires once on its event, holding consumers until the cut is done', async () => {
    let finishCut: (() => void) | undefined;
    let cutStarted: (() => void) | undefined;
    const started = new Promise<void>((resolve) => (cutStarted = resolve));
    const cuts: string[] = [];
    const { transport, injector, handled, until } = await setUp([]);
    const faults = new LifecycleFaults(
      [{ kind: 'cut', after: 'First' }],
      recordingTarget([], () => {
        cuts.push('cut');
        cutStarted?.();
        return new Promise<string>((resolve) => (finishCut = () => resolve('cut done')));
      }),
      injector,
      undefined,
    );
    faults.observe('First');
    await transport.publish(exchange, message('First', 'a'));
    faults.observe('First');
    await started;
    expect(cuts).toEqual(['cut']); // once, although First was seen twice
    expect(handled).toEqual([]); // the delivery waits at the gate while the cut is applied
    finishCut?.();
    await until(1);
    await faults.settled();
    expect(injector.applied()).toEqual([
      expect.objectContaining({ kind: 'cut', detail: 'after First: cut done' }),
    ]);
    expect(faults.faults()).toEqual([{ fault: { kind: 'cut', after: 'First' }, fired: true }]);
    await transport.close();
  });

  it('a failing restart is reported by settled(), not raised as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const actions: string[] = [];
      const { transport, injector } = await setUp([]);
      const faults = new LifecycleFaults(
        [{ kind: 'restart', service: 'payments', after: 'First' }],
        recordingTarget(actions, () => Promise.resolve('')),
        injector,
        undefined,
      );
      faults.observe('First');
      await expect(faults.settled()).rejects.toThrow('restart payments failed');
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(actions).toEqual(['restart payments']);
      await transport.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
