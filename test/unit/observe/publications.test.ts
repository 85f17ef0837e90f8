import { jsonPathsAdapter } from '../../../harness/events/json-paths-adapter';
import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { EventLog } from '../../../harness/observe/event-log';
import { accountFlows } from '../../../harness/observe/flow-accounting';
import { INJECTED_HEADER } from '../../../harness/observe/injected-message';
import { countPublications } from '../../../harness/observe/publications';
import { timelineRows } from '../../../harness/observe/render-timeline';
import { invariant } from '../../../harness/fuzz/invariant';

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));
const noIds = jsonPathsAdapter({ type: 'event', key: 'data.orderId' });
const charged = { event: 'PaymentProcessed', data: { orderId: 'o-1' } };
const placed = { event: 'OrderPlaced', data: { orderId: 'o-1' } };
const shipped = { event: 'OrderShipped', data: { orderId: 'o-1' } };
const once = invariant.atMostOne('PaymentProcessed').per('data.orderId');

describe('countPublications and accountFlows: formats without ids', () => {
  it('two identical publications are two: the double charge is found', () => {
    const log = new EventLog({ adapter: noIds });
    log.record({ routingKey: '', headers: { [INJECTED_HEADER]: 'flow-start' }, body: json(placed) });
    log.record({ routingKey: '', headers: {}, body: json(charged) });
    log.record({ routingKey: '', headers: {}, body: json(charged) });
    log.record({ routingKey: '', headers: {}, body: json(shipped) });
    const count = countPublications(log.all());
    expect(count.injected).toBe(1); // Troupe's OrderPlaced is not the system's
    expect(count.events.map((e) => e.eventType)).toEqual([
      'PaymentProcessed',
      'PaymentProcessed',
      'OrderShipped',
    ]);
    expect(once.check({ events: count.events, flows: ['o-1'] })).toEqual([
      'data.orderId o-1: 2 × PaymentProcessed',
    ]);
    const accounting = accountFlows(log.all(), {
      terminalTypes: ['OrderShipped'],
      expectedFlows: ['o-1'],
      atMostOnce: ['PaymentProcessed', 'OrderShipped'],
    });
    expect(accounting.flows[0]).toMatchObject({ duplicated: ['PaymentProcessed'], lost: false });
    expect(accounting.valid).toBe(false);
  });

  it('a chaos copy (marked injected) and a redelivery to the tap are not new publications', () => {
    const log = new EventLog({ adapter: noIds });
    log.record({ routingKey: '', headers: {}, body: json(charged) });
    log.record({ routingKey: '', headers: { [INJECTED_HEADER]: 'chaos' }, body: json(charged) });
    log.record({ routingKey: '', headers: {}, body: json(charged), redelivered: true });
    log.record({ routingKey: '', headers: {}, body: json(shipped) });
    const count = countPublications(log.all());
    expect(count).toMatchObject({ injected: 1, folded: 1 });
    expect(once.check({ events: count.events, flows: ['o-1'] })).toEqual([]);
    const accounting = accountFlows(log.all(), {
      terminalTypes: ['OrderShipped'],
      atMostOnce: ['PaymentProcessed'],
    });
    expect(accounting.flows[0]).toMatchObject({ duplicated: [], recovered: true, repeatedDeliveries: 2 });
    expect(accounting.valid).toBe(true);
  });

  it('a message the adapter cannot read is counted and kept, never dropped', () => {
    const log = new EventLog({ adapter: noIds });
    log.record({ routingKey: 'x', headers: {}, body: Buffer.from('garbage') });
    log.record({ routingKey: '', headers: {}, body: json(shipped) });
    const count = countPublications(log.all());
    expect(count.unreadable.map((e) => Buffer.from(e.body).toString())).toEqual(['garbage']);
    expect(count.publications).toHaveLength(2);
    expect(accountFlows(log.all(), { terminalTypes: ['OrderShipped'] })).toMatchObject({
      unreadable: 1,
      valid: false,
    });
  });
});

describe('countPublications: formats with ids', () => {
  it('a redelivery or re-publication of one event (same id) is one publication', () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    const event = (eventId: string, eventType: string) =>
      json({ eventId, eventType, correlationId: 'c', payload: { orderId: 'o-1' } });
    log.record({ routingKey: '', headers: {}, body: event('e1', 'PaymentCompleted') });
    log.record({ routingKey: '', headers: {}, body: event('e1', 'PaymentCompleted'), redelivered: true });
    log.record({ routingKey: '', headers: {}, body: event('e1', 'PaymentCompleted') });
    log.record({ routingKey: '', headers: {}, body: event('e2', 'PaymentCompleted') });
    const count = countPublications(log.all());
    expect(count.events.map((e) => e.eventId)).toEqual(['e1', 'e2']);
    expect(count.folded).toBe(2);
    expect(
      invariant.atMostOne('PaymentCompleted').per('orderId').check({ events: count.events, flows: [] }),
    ).toEqual(['orderId o-1: 2 × PaymentCompleted']);
  });
});

describe('timeline', () => {
  it('flags what Troupe injected, with the reason', () => {
    const log = new EventLog({ adapter: noIds });
    log.record({ routingKey: '', headers: { [INJECTED_HEADER]: 'flow-start' }, body: json(placed) });
    log.record({ routingKey: '', headers: {}, body: json(charged) });
    expect(timelineRows(log.all()).map((row) => row.flags)).toEqual([['injected:flow-start'], []]);
  });
});
