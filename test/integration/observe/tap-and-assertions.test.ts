import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { flow } from '../../../harness/assert/flow';
import { FlowAssertionError } from '../../../harness/assert/assertion-error';
import { flowMatchers } from '../../../harness/assert/matchers';
import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { EventLog } from '../../../harness/observe/event-log';
import { accountFlows } from '../../../harness/observe/flow-accounting';
import { PgEventStore } from '../../../harness/observe/pg-event-store';
import { recordingHandler, startTap, type StartedTap } from '../../../harness/observe/tap';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { foreignAdapter, foreignMessage, troupeMessage } from '../../unit/observe/fixtures';

expect.extend(flowMatchers);

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const suffix = randomBytes(4).toString('hex');
const exchange = `it.observe.${suffix}.events`;
const foreignExchange = `it.observe.${suffix}.legacy`;
const serviceQueue = `it.observe.${suffix}.payments`;

describe('tap and assertions on RabbitMQ', () => {
  let transport: AmqpTransport;
  let admin: Connection;
  let tap: StartedTap;

  beforeAll(async () => {
    admin = new Connection({ url, connectionName: connectionName('it-observe-admin') });
    admin.on('error', () => undefined);
    transport = new AmqpTransport({ url, connectionName: connectionName('it-observe') });
    await transport.connected();
    tap = await startTap({ transport, exchange, adapter: troupeEnvelopeAdapter() });
  });

  afterAll(async () => {
    await tap.stop();
    await transport.close();
    await admin.queueDelete({ queue: serviceQueue });
    for (const name of [exchange, foreignExchange]) await admin.exchangeDelete({ exchange: name });
    await admin.close();
  });

  it('records every delivery: a duplicate publication is two records with their own delivery tags', async () => {
    const correlationId = newEventId();
    const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
    await transport.publish(exchange, placed);
    await transport.publish(exchange, placed);
    const f = flow(tap.log, correlationId);
    await f.toReach('OrderPlaced', { within: 5000 });
    await expect(f).toBecomeQuiescent({ idleFor: 100, within: 5000 });
    const deliveries = tap.log.byEventId(placed.eventId);
    expect(deliveries).toHaveLength(2);
    expect(deliveries.map((d) => d.source)).toEqual([tap.queue, tap.queue]);
    expect(deliveries[0]?.exchange).toBe(exchange);
    expect(deliveries[0]?.routingKey).toBe('orders.order.placed');
    expect(new Set(deliveries.map((d) => d.deliveryTag)).size).toBe(2);
    expect(f.timeline()).toMatch(/OrderPlaced +orders +duplicate/);
  });

  it('records a redelivery (flag and delivery tag) on an observed consumer queue', async () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    await transport.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [{ name: serviceQueue, exchange, bindings: ['orders.#'], kind: 'classic' }],
    });
    const correlationId = newEventId();
    let firstAttempt = true;
    const subscription = await transport.consume(
      serviceQueue,
      recordingHandler(log, () => {
        const outcome = firstAttempt ? 'requeue' : 'ack';
        firstAttempt = false;
        return Promise.resolve(outcome);
      }),
    );
    try {
      const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
      await transport.publish(exchange, placed);
      const f = flow(log, correlationId);
      await f.toReach('OrderPlaced', { within: 5000 });
      await expect(f).toBecomeQuiescent({ idleFor: 100, within: 5000 });
      const deliveries = log.byEventId(placed.eventId);
      expect(deliveries.map((d) => d.redelivered)).toEqual([false, true]);
      expect(deliveries.map((d) => d.source)).toEqual([serviceQueue, serviceQueue]);
      expect(deliveries[1]?.deliveryTag).toBeGreaterThan(deliveries[0]?.deliveryTag ?? Infinity);
      expect(f.timeline()).toContain('duplicate,redelivered');
      const account = accountFlows(log.all(), { terminalTypes: ['OrderPlaced'] });
      expect(account.flows[0]).toMatchObject({ recovered: true, repeatedDeliveries: 1 });
    } finally {
      await subscription.close();
    }
  });

  it('assertions resolve on arrival: a causal chain published hop by hop', async () => {
    const correlationId = newEventId();
    const f = flow(tap.log, correlationId);
    const chain = expect(f).toEventuallyFollowChain(
      ['OrderPlaced', 'PaymentCompleted', 'InventoryReserved'],
      {
        within: 5000,
      },
    );
    const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
    await transport.publish(exchange, placed);
    const reached = await f.toReach('OrderPlaced', { within: 5000 });
    expect(reached.identity.eventId).toBe(placed.eventId);
    const paid = troupeMessage(
      'PaymentCompleted',
      'payments.payment.completed',
      correlationId,
      placed.eventId,
    );
    await transport.publish(exchange, paid);
    await transport.publish(
      exchange,
      troupeMessage('InventoryReserved', 'inventory.inventory.reserved', correlationId, paid.eventId),
    );
    await chain;
    await expect(f).toNeverEmit('OrderCancelled', { during: 100 });
    await expect(f).toEmitExactlyOnce('PaymentCompleted', { within: 1000, settle: 50 });
  });

  it('a failing assertion says what it expected, how long it waited, what was next, and shows the timeline', async () => {
    const correlationId = newEventId();
    const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
    const failed = troupeMessage('PaymentFailed', 'payments.payment.failed', correlationId, placed.eventId);
    await transport.publish(exchange, placed);
    await transport.publish(exchange, failed);
    await transport.publish(
      exchange,
      troupeMessage('OrderCancelled', 'orders.order.cancelled', correlationId, failed.eventId),
    );
    let error: unknown;
    try {
      await flow(tap.log, correlationId).toFollowChain(
        ['OrderPlaced', 'PaymentCompleted', 'InventoryReserved', 'ShipmentScheduled'],
        { within: 400 },
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FlowAssertionError);
    const message = (error as FlowAssertionError).message;
    expect((error as FlowAssertionError).code).toBe('timeout');
    expect(message).toContain(
      `Expected flow ${correlationId} to follow OrderPlaced → PaymentCompleted → InventoryReserved → ShipmentScheduled within 400 ms`,
    );
    const waited = Number(/failed \(timeout\) after waiting (\d+) ms/.exec(message)?.[1]);
    expect(waited).toBeGreaterThanOrEqual(399);
    expect(waited).toBeLessThan(5000);
    expect(message).toContain(`expected next: PaymentCompleted caused by OrderPlaced (${placed.eventId})`);
    expect(message).toContain('observed: chain stopped after OrderPlaced; OrderPlaced caused PaymentFailed');
    expect(message).toContain(`Timeline of correlation ${correlationId} (3 deliveries):`);
    expect(message).toMatch(
      /0 +OrderPlaced +orders\n.* 1 +└ PaymentFailed +payments\n.* 2 + {2}└ OrderCancelled +orders/,
    );
  });

  it('black-box: taps a foreign message format through a custom adapter, and persists to PostgreSQL', async () => {
    const store = await PgEventStore.open({ namespace: `it_observe_${suffix}` });
    const foreign = await startTap({ transport, exchange: foreignExchange, adapter: foreignAdapter });
    const stopPersisting = store.persist(foreign.log);
    try {
      const created = foreignMessage('order.created', 'legacy.order.created', `trace-${suffix}`, undefined);
      const invoiced = foreignMessage('invoice.sent', 'billing.invoice.sent', `trace-${suffix}`, created.id);
      await transport.publish(foreignExchange, created);
      await transport.publish(foreignExchange, invoiced);
      await transport.publish(foreignExchange, invoiced); // duplicate
      await transport.publish(foreignExchange, { routingKey: 'legacy.noise', body: Buffer.from('not json') });
      const f = flow(foreign.log, `trace-${suffix}`);
      await expect(f).toEventuallyFollowChain(['order.created', 'invoice.sent'], { within: 5000 });
      await f.quiescent({ idleFor: 100, within: 5000 });
      expect(foreign.log.unreadable()).toHaveLength(1);

      await store.flush();
      const stored = await store.flow(`trace-${suffix}`);
      expect(stored.map((e) => [e.identity?.eventType, e.depth])).toEqual([
        ['order.created', 0],
        ['invoice.sent', 1],
        ['invoice.sent', 1],
      ]);
      const chain = await store.chain(invoiced.id);
      expect(chain.map((e) => [e.identity?.eventType, e.depth])).toEqual([
        ['order.created', 0],
        ['invoice.sent', 1],
      ]);
      expect(await store.correlationIds()).toEqual([`trace-${suffix}`]);
    } finally {
      stopPersisting();
      await foreign.stop();
      await store.drop();
      await store.close();
    }
  });
});
