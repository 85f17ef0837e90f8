import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { CorrelationGraph } from '../../../harness/observe/correlation-graph';
import { EventLog } from '../../../harness/observe/event-log';
import { renderHtmlReport } from '../../../harness/observe/render-html';
import { renderMermaid } from '../../../harness/observe/render-mermaid';
import { renderTimeline, timelineRows } from '../../../harness/observe/render-timeline';
import { asDelivery, troupeMessage } from './fixtures';

/** A shop-like flow with a duplicate and a redelivery, received at fixed times. */
function shopFlow(): { log: EventLog; correlationId: string; ids: Record<string, string> } {
  let now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const times = [0, 12, 5, 30, 8, 4];
  let i = 0;
  const log = new EventLog({ adapter: troupeEnvelopeAdapter(), clock: () => (now += times[i++] ?? 1) });
  const correlationId = newEventId();
  const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
  const paid = troupeMessage('PaymentCompleted', 'payments.payment.completed', correlationId, placed.eventId);
  const reserved = troupeMessage(
    'InventoryReserved',
    'inventory.inventory.reserved',
    correlationId,
    paid.eventId,
  );
  const shipped = troupeMessage(
    'ShipmentScheduled',
    'shipping.shipment.scheduled',
    correlationId,
    reserved.eventId,
  );
  const notified = troupeMessage(
    'CustomerNotified',
    'notifications.customer.notified',
    correlationId,
    shipped.eventId,
  );
  log.record(asDelivery(placed));
  log.record(asDelivery(paid));
  log.record(asDelivery(paid)); // duplicate publication
  log.record(asDelivery(reserved, { redelivered: true, deliveryTag: 9 }));
  log.record(asDelivery(shipped));
  log.record(asDelivery(notified));
  return {
    log,
    correlationId,
    ids: {
      placed: placed.eventId,
      paid: paid.eventId,
      reserved: reserved.eventId,
      notified: notified.eventId,
    },
  };
}

describe('CorrelationGraph', () => {
  it('links parent and child by causationId, collapses duplicates into one node, and computes depth', () => {
    const { log, correlationId, ids } = shopFlow();
    const graph = CorrelationGraph.from(log.byCorrelation(correlationId));
    expect(graph.nodes()).toHaveLength(5);
    expect(graph.roots().map((n) => n.eventType)).toEqual(['OrderPlaced']);
    expect(graph.node(ids['paid'] ?? '')?.deliveries).toHaveLength(2);
    expect(graph.depthOf(ids['notified'] ?? '')).toBe(4);
    expect(graph.chainTo(ids['reserved'] ?? '').map((n) => n.eventType)).toEqual([
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReserved',
    ]);
    expect(graph.node(ids['placed'] ?? '')?.service).toBe('orders');
    expect(graph.height()).toBe(5);
  });

  it('breaks causation cycles instead of looping', () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    const correlationId = newEventId();
    const a = newEventId();
    const b = newEventId();
    log.record(asDelivery(troupeMessage('A', 'x.a', correlationId, b, { eventId: a })));
    log.record(asDelivery(troupeMessage('B', 'x.b', correlationId, a, { eventId: b })));
    const graph = CorrelationGraph.from(log.all());
    expect(graph.roots()).toHaveLength(1);
    expect([graph.depthOf(a), graph.depthOf(b)].sort()).toEqual([0, 1]);
  });
});

describe('renderers', () => {
  it('text timeline: every delivery with time, ms since start and previous, depth, type, service and flags', () => {
    const { log, correlationId } = shopFlow();
    const rows = timelineRows(log.byCorrelation(correlationId));
    expect(rows.map((r) => r.sincePreviousMs)).toEqual([0, 12, 5, 30, 8, 4]);
    expect(rows.map((r) => r.depth)).toEqual([0, 1, 1, 2, 3, 4]);
    expect(rows[2]?.flags).toEqual(['duplicate']);
    expect(rows[3]?.flags).toEqual(['redelivered']);
    const text = renderTimeline(log.byCorrelation(correlationId));
    expect(text).toContain('Timeline (6 deliveries)');
    expect(text).toMatch(/12:00:00\.012 +12\.0 +12\.0 +1 +└ PaymentCompleted +payments/);
    expect(text).toMatch(/PaymentCompleted +payments +duplicate/);
    expect(text).toContain('└ CustomerNotified');
  });

  it('Mermaid sequence diagram: participants per service, arrows from the cause’s service', () => {
    const { log, correlationId } = shopFlow();
    const mermaid = renderMermaid(log.byCorrelation(correlationId));
    expect(mermaid.split('\n')[0]).toBe('sequenceDiagram');
    expect(mermaid).toContain('participant p_client as client');
    expect(mermaid).toContain('p_client-)p_orders: OrderPlaced');
    expect(mermaid).toContain('p_orders-)p_payments: PaymentCompleted +12ms ×2');
    expect(mermaid).toContain('p_shipping-)p_notifications: CustomerNotified +4ms');
  });

  it('HTML report is self-contained (no script, no external resource) and escapes content', () => {
    const { log, correlationId } = shopFlow();
    const html = renderHtmlReport(log.byCorrelation(correlationId), { title: 'Order <1>' });
    expect(html).toContain('<!doctype html>');
    expect(html).toContain('Order &#60;1&#62;');
    expect(html).toContain('<svg');
    expect(html).toContain('6 deliveries of 5 distinct events');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org)/);
  });
});
