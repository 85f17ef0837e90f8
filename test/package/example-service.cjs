// A user's service in the scratch project of scratch-project.test.ts, written without Troupe: it answers every
// ExampleRequested on EXAMPLE_EXCHANGE with one ExampleCompleted in Troupe's envelope (same correlationId, caused by
// the request). rabbitmq-client resolves from the scratch project (it is a dependency of troupe).
const { randomUUID } = require('node:crypto');
const { Connection } = require('rabbitmq-client');

const exchange = process.env.EXAMPLE_EXCHANGE;
if (!exchange) throw new Error('EXAMPLE_EXCHANGE is not set');
const queue = `${exchange}.example-service`;
const rabbit = new Connection({
  url: process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
  connectionName: `troupe.pkgtest.service.${process.pid}`,
});
const publisher = rabbit.createPublisher({
  confirm: true,
  exchanges: [{ exchange, type: 'topic', durable: true }],
});
const consumer = rabbit.createConsumer(
  {
    queue,
    queueOptions: { exclusive: true },
    exchanges: [{ exchange, type: 'topic', durable: true }],
    queueBindings: [{ queue, exchange, routingKey: 'example.requested' }],
  },
  async (message) => {
    const request =
      typeof message.body === 'string' || Buffer.isBuffer(message.body)
        ? JSON.parse(message.body.toString())
        : message.body;
    // Not Troupe's envelope: not for this service (acked, never requeued in a loop).
    if (typeof request?.correlationId !== 'string' || typeof request.payload?.exampleId !== 'string') return;
    const eventId = randomUUID();
    const reply = {
      eventId,
      eventType: 'ExampleCompleted',
      version: '1.0',
      timestamp: new Date().toISOString(),
      correlationId: request.correlationId,
      causationId: request.eventId,
      payload: { exampleId: request.payload.exampleId },
    };
    await publisher.send(
      { exchange, routingKey: 'example.completed', contentType: 'application/json', messageId: eventId },
      JSON.stringify(reply),
    );
  },
);
consumer.on('ready', () => console.log('example-service ready'));
consumer.on('error', (error) => console.error('example-service:', error.message));

process.on('SIGTERM', () => {
  void Promise.allSettled([consumer.close(), publisher.close()])
    .then(() => rabbit.close())
    .finally(() => process.exit(0));
});
