'use strict';
// thresholds: reads every sensor reading (structured or binary CloudEvents on the topic exchange) and either
// raises an alert (binary mode, on the headers exchange, with severity and site headers) or accepts it.
// Acks a reading once what it published because of it is confirmed.
const amqp = require('amqplib');
const { CloudEvent } = require('cloudevents');
const { randomUUID } = require('node:crypto');
const { toBinary, fromMessage } = require('./cloudevents-amqp');
const { settings, log } = require('./settings');

const SERVICE = 'thresholds';
const SOURCE = '/sensor-alerts/thresholds';

async function main() {
  const config = settings();
  const connection = await amqp.connect(config.url, {
    clientProperties: { connection_name: `${config.ns}.${SERVICE}.${process.pid}` },
  });
  let stopping = false;
  connection.on('error', (error) => log(SERVICE, `connection error: ${error.message}`));
  connection.on('close', () => {
    if (stopping) return;
    log(SERVICE, 'connection lost; exiting for the supervisor to restart me');
    process.exit(1);
  });
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(config.telemetry, 'topic', { durable: true });
  await channel.assertExchange(config.alerts, 'headers', { durable: true });
  await channel.assertQueue(config.thresholdsQueue, { durable: true });
  await channel.bindQueue(config.thresholdsQueue, config.telemetry, 'reading.recorded.*');
  await channel.prefetch(10);

  const send = (exchange, routingKey, { body, properties }) =>
    new Promise((resolve, reject) =>
      channel.publish(exchange, routingKey, body, properties, (error) => (error ? reject(error) : resolve())),
    );

  async function handle(reading) {
    const { readingId, sensorId, site, celsius } = reading.data;
    const common = { source: SOURCE, subject: sensorId, correlationid: readingId, causationid: reading.id };
    if (celsius >= config.criticalCelsius) {
      const alert = new CloudEvent({
        ...common,
        type: 'com.example.alert.raised',
        datacontenttype: 'application/json',
        data: { alertId: randomUUID(), readingId, sensorId, site, celsius, severity: 'critical' },
      });
      await send(config.alerts, '', toBinary(alert, { severity: 'critical', site }));
    } else {
      const accepted = new CloudEvent({
        ...common,
        type: 'com.example.sensor.reading.accepted',
        datacontenttype: 'application/json',
        data: { readingId, sensorId, celsius },
      });
      await send(config.telemetry, `reading.accepted.${sensorId}`, toBinary(accepted));
    }
  }

  await channel.consume(config.thresholdsQueue, (message) => {
    if (!message) return;
    let reading;
    try {
      reading = fromMessage(message);
    } catch (error) {
      log(SERVICE, `not a CloudEvent (${error.message}); rejecting it`);
      return channel.nack(message, false, false);
    }
    if (reading.type !== 'com.example.sensor.reading.recorded') return channel.ack(message);
    handle(reading).then(
      () => channel.ack(message),
      (error) => {
        log(SERVICE, `reading ${reading.id} failed: ${error.message}; requeueing`);
        channel.nack(message, false, true);
      },
    );
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      stopping = true;
      connection.close().then(
        () => process.exit(0),
        () => process.exit(0),
      );
    });
  }
  log(SERVICE, `ready (queue ${config.thresholdsQueue}, critical at ${config.criticalCelsius} °C)`);
}

main().catch((error) => {
  log(SERVICE, `failed to start: ${error.stack || error.message}`);
  process.exit(1);
});
