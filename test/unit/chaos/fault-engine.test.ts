import { FaultEngine, type MessageFacts } from '../../../harness/chaos/plan/fault-engine';

const facts = (service: string, eventType: string, extra: Partial<MessageFacts> = {}): MessageFacts => ({
  service,
  exchange: 'shop',
  routingKey: `shop.${eventType.toLowerCase()}`,
  redelivered: false,
  eventType: () => eventType,
  ...extra,
});

describe('FaultEngine', () => {
  it('selects "the 2nd PaymentCompleted delivered to inventory" and nothing else', () => {
    const engine = new FaultEngine(1);
    engine.arm({ kind: 'duplicate', service: 'inventory', match: { eventType: 'PaymentCompleted' }, nth: 1 });
    const stream = [
      facts('inventory', 'OrderPlaced'),
      facts('shipping', 'PaymentCompleted'),
      facts('inventory', 'PaymentCompleted'),
      facts('inventory', 'PaymentCompleted', { redelivered: true }), // redeliveries are not counted
      facts('inventory', 'PaymentCompleted'),
      facts('inventory', 'PaymentCompleted'),
    ];
    const hits = stream.map((f) => engine.onDelivery(f).duplicate !== undefined);
    expect(hits).toEqual([false, false, false, false, true, false]);
    expect(engine.pending()).toEqual([]); // spent
  });

  it('matches routing keys as topic patterns, and queues', () => {
    const engine = new FaultEngine(1);
    engine.arm({ kind: 'delay', service: 's', match: { routingKey: 'shop.*', queue: 'q1' }, ms: 5 });
    expect(engine.onDelivery(facts('s', 'A', { queue: 'q2' })).timing).toBeUndefined();
    expect(engine.onDelivery(facts('s', 'A', { queue: 'q1' })).timing).toEqual({ kind: 'delay', ms: 5 });
    expect(engine.onDelivery(facts('s', 'A', { queue: 'q1', routingKey: 'other.a' })).timing).toBeUndefined();
  });

  it('every fault counts every matching message, even one another fault took', () => {
    const engine = new FaultEngine(1);
    engine.arm({ kind: 'delay', service: 's', nth: 0, ms: 5 });
    engine.arm({ kind: 'delay', service: 's', nth: 1, ms: 7 });
    expect(engine.onDelivery(facts('s', 'A')).timing).toEqual({ kind: 'delay', ms: 5 });
    expect(engine.onDelivery(facts('s', 'A')).timing).toEqual({ kind: 'delay', ms: 7 });
  });

  it('probabilities are seeded: the same seed picks the same messages', () => {
    const picks = (seed: number) => {
      const engine = new FaultEngine(seed);
      engine.arm({ kind: 'duplicate', service: 's', probability: 0.3 });
      return Array.from({ length: 40 }, () => engine.onDelivery(facts('s', 'A')).duplicate !== undefined);
    };
    expect(picks(7)).toEqual(picks(7));
    expect(picks(7)).not.toEqual(picks(8));
    expect(picks(7).filter(Boolean).length).toBeGreaterThan(3);
  });

  it('times limits an every-match fault', () => {
    const engine = new FaultEngine(1);
    engine.arm({ kind: 'lose-ack', service: 's', times: 2 });
    expect(Array.from({ length: 4 }, () => engine.onAck(facts('s', 'A')).lose)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('a reorder group takes `count` deliveries and tells the last one', () => {
    const engine = new FaultEngine(1);
    engine.arm({ kind: 'reorder', service: 's', nth: 1, count: 3 });
    const timings = Array.from({ length: 5 }, () => engine.onDelivery(facts('s', 'A')).timing);
    expect(
      timings.map((t) => (t?.kind === 'reorder' ? `${t.first ? 'first' : ''}${t.last ? 'last' : ''}|` : '-')),
    ).toEqual(['-', 'first|', '|', 'last|', '-']);
  });

  it('publish faults apply in confirm mode only, except drop-publish; cut triggers fire once', () => {
    const engine = new FaultEngine(1);
    engine.arm({ kind: 'nack-confirm', service: 'p' });
    engine.arm({ kind: 'cut', service: 'p', how: 'close', on: { on: 'publish', nth: 1 } });
    expect(engine.onPublish(facts('p', 'A'), false).action).toBe('forward');
    const second = engine.onPublish(facts('p', 'A'), true);
    expect(second.action).toBe('nack');
    expect(second.cut?.how).toBe('close');
    expect(engine.onPublish(facts('p', 'A'), true).cut).toBeUndefined();
  });

  it('pauses end on their own', () => {
    const engine = new FaultEngine(1);
    engine.pause('s', 1_000);
    expect(engine.pausedUntil('s', 999)).toBe(1_000);
    expect(engine.pausedUntil('s', 1_000)).toBeUndefined();
  });
});
