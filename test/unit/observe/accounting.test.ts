import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { EventLog } from '../../../harness/observe/event-log';
import { accountFlows, renderAccounting } from '../../../harness/observe/flow-accounting';
import { asDelivery, troupeMessage } from './fixtures';

const terminalTypes = ['ShipmentScheduled', 'OrderCancelled', 'OrderNeedsAttention'];

describe('accountFlows (Jepsen-style)', () => {
  it('classifies flows as ok, lost, duplicated, unexpected and recovered', () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    const record = (type: string, corr: string, cause: string, extra = {}): string => {
      const m = troupeMessage(type, `x.${type}`, corr, cause);
      log.record(asDelivery(m, extra));
      return m.eventId;
    };
    const [ok, lost, doubled, recovered, stranger, neverSeen] = Array.from({ length: 6 }, () => newEventId());
    const flows = { ok, lost, doubled, recovered, stranger, neverSeen } as Record<string, string>;
    const id = (name: string): string => flows[name] ?? '';
    record('ShipmentScheduled', id('ok'), record('OrderPlaced', id('ok'), newEventId()));
    record('OrderPlaced', id('lost'), newEventId());
    const placed = record('OrderPlaced', id('doubled'), newEventId());
    record('PaymentCompleted', id('doubled'), placed);
    record('PaymentCompleted', id('doubled'), placed);
    record('ShipmentScheduled', id('doubled'), placed);
    const p2 = record('OrderPlaced', id('recovered'), newEventId());
    record('PaymentCompleted', id('recovered'), p2, { redelivered: true });
    record('OrderCancelled', id('recovered'), p2);
    record('OrderCancelled', id('stranger'), newEventId());
    log.record({ body: Buffer.from('garbage'), routingKey: 'x', headers: {} });

    const report = accountFlows(log.all(), {
      terminalTypes,
      expectedFlows: [id('ok'), id('lost'), id('doubled'), id('recovered'), id('neverSeen')],
      atMostOnce: [...terminalTypes, 'PaymentCompleted'],
    });
    const byId = new Map(report.flows.map((f) => [f.correlationId, f]));
    expect(byId.get(id('ok'))).toMatchObject({
      lost: false,
      duplicated: [],
      unexpected: [],
      recovered: false,
    });
    expect(byId.get(id('lost'))?.lost).toBe(true);
    expect(byId.get(id('neverSeen'))).toMatchObject({ lost: true, deliveries: 0 });
    expect(byId.get(id('doubled'))?.duplicated).toEqual(['PaymentCompleted']);
    expect(byId.get(id('recovered'))).toMatchObject({ recovered: true, repeatedDeliveries: 1 });
    expect(byId.get(id('stranger'))?.unexpected).toEqual(['flow not started by this run']);
    expect(report.totals).toEqual({ flows: 6, ok: 2, lost: 2, duplicated: 1, unexpected: 1, recovered: 1 });
    expect(report.unreadable).toBe(1);
    expect(report.valid).toBe(false);
    const text = renderAccounting(report);
    expect(text).toContain(
      'flows 6: ok 2, lost 2, duplicated 1, unexpected 1, recovered 1; unreadable deliveries 1',
    );
    expect(text).toContain(`${id('doubled')}: duplicated PaymentCompleted`);
  });

  it('a flow that reached two different terminal events is duplicated, not ok', () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    const corr = newEventId();
    const placed = troupeMessage('OrderPlaced', 'orders.order.placed', corr, newEventId());
    log.record(asDelivery(placed));
    log.record(
      asDelivery(troupeMessage('ShipmentScheduled', 'shipping.shipment.scheduled', corr, placed.eventId)),
    );
    log.record(asDelivery(troupeMessage('OrderCancelled', 'orders.order.cancelled', corr, placed.eventId)));
    const report = accountFlows(log.all(), { terminalTypes });
    expect(report.flows[0]).toMatchObject({
      lost: false,
      recovered: false,
      duplicated: ['terminal events ShipmentScheduled + OrderCancelled'],
    });
    expect(report.totals).toMatchObject({ ok: 0, duplicated: 1 });
    expect(report.valid).toBe(false);
  });

  it('a clean run is valid', () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    const corr = newEventId();
    log.record(asDelivery(troupeMessage('OrderCancelled', 'orders.order.cancelled', corr, newEventId())));
    const report = accountFlows(log.all(), { terminalTypes, knownTypes: ['OrderCancelled'] });
    expect(report.valid).toBe(true);
    expect(report.totals.ok).toBe(1);
  });
});
