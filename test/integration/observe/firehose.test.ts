import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { flow } from '../../../harness/assert/flow';
import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { startFirehoseTap } from '../../../harness/observe/firehose-tap';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { troupeMessage } from '../../unit/observe/fixtures';

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const suffix = randomBytes(4).toString('hex');
const exchange = `it.firehose.${suffix}.events`;
const serviceQueue = `it.firehose.${suffix}.payments`;

describe('firehose tap (black-box view of deliveries to a service queue)', () => {
  it('records the publication and each delivery to the consumer, the redelivery flagged', async () => {
    const service = new AmqpTransport({ url, connectionName: connectionName('it-firehose-service') });
    const observer = new AmqpTransport({ url, connectionName: connectionName('it-firehose-tap') });
    const admin = new Connection({ url, connectionName: connectionName('it-firehose-admin') });
    admin.on('error', () => undefined);
    const tap = await startFirehoseTap({
      transport: observer,
      adapter: troupeEnvelopeAdapter(),
      queues: [serviceQueue],
      publishesTo: [exchange],
    });
    try {
      await service.declare({
        exchanges: [{ name: exchange, type: 'topic' }],
        queues: [{ name: serviceQueue, exchange, bindings: ['orders.#'], kind: 'classic' }],
      });
      // The service under test: it fails the first attempt (requeue), then succeeds. The tap does not touch it.
      let attempts = 0;
      await service.consume(serviceQueue, () => Promise.resolve(attempts++ === 0 ? 'requeue' : 'ack'));
      const correlationId = newEventId();
      const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
      await service.publish(exchange, placed);

      const f = flow(tap.log, correlationId);
      await f.toReach('OrderPlaced', { within: 5000 });
      await f.quiescent({ idleFor: 200, within: 5000 });
      const records = tap.log.byEventId(placed.eventId);
      expect(records.map((r) => [r.source, r.redelivered])).toEqual([
        [`publish:${exchange}`, false],
        [serviceQueue, false],
        [serviceQueue, true],
      ]);
      expect(records.every((r) => r.exchange === exchange && r.routingKey === 'orders.order.placed')).toBe(
        true,
      );
      expect(f.timeline()).toMatch(/OrderPlaced +orders +it\.firehose\.\w+\.payments +duplicate,redelivered/);
    } finally {
      await tap.stop();
      await service.close();
      await observer.close();
      await admin.queueDelete({ queue: serviceQueue });
      await admin.exchangeDelete({ exchange });
      await admin.close();
    }
  });
});
