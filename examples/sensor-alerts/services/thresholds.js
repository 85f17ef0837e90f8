'use strict';
// thresholds: reads every sensor reading (structured or binary CloudEvents on the topic exchange) and either
// raises an alert (binary mode, on the headers exchange, with severity and site headers) or accepts it. Acks a
// reading once what it published because of it is confirmed, and reconnects when its connection drops. The ids
// of what it publishes derive from the reading's id, so a redelivered reading republishes the same events.
const { createHash } = require('node:crypto');
const { CloudEvent } = require('cloudevents');
const { toBinary, fromMessage } = require('./cloudevents-amqp');
const { keepConnected, exitOnSignal } = require('./reconnecting');
const { settings, log } = require('./settings');

const SERVICE = 'thresholds';
const SOURCE = '/sensor-alerts/thresholds';
const config = settings();

/** A stable id for the event `kind` caused by the event `causeId`. */
const derivedId = (kind, causeId) =>
  `${kind}-${createHash('sha256').update(causeId).digest('hex').slice(0, 32)}`;

function outcome(reading) {
  const { readingId, sensorId, site, celsius } = reading.data;
  const common = { source: SOURCE, subject: sensorId, correlationid: readingId, causationid: reading.id };
  if (celsius >= config.criticalCelsius) {
    const alertId = derivedId('alert', reading.id);
    const alert = new CloudEvent({
      ...common,
      id: alertId,
      type: 'com.example.alert.raised',
      datacontenttype: 'application/json',
      data: { alertId, readingId, sensorId, site, celsius, severity: 'critical' },
    });
    return {
      exchange: config.alerts,
      routingKey: '',
      message: toBinary(alert, { severity: 'critical', site }),
    };
  }
  const accepted = new CloudEvent({
    ...common,
    id: derivedId('accepted', reading.id),
    type: 'com.example.sensor.reading.accepted',
    datacontenttype: 'application/json',
    data: { readingId, sensorId, celsius },
  });
  return {
    exchange: config.telemetry,
    routingKey: `reading.accepted.${sensorId}`,
    message: toBinary(accepted),
  };
}

const connection = keepConnected({
  config,
  service: SERVICE,
  role: 'main',
  async onOpen(opened) {
    const channel = await opened.createConfirmChannel();
    channel.on('error', (error) => log(SERVICE, `channel error: ${error.message}`));
    await channel.assertExchange(config.telemetry, 'topic', { durable: true });
    await channel.assertExchange(config.alerts, 'headers', { durable: true });
    await channel.assertQueue(config.thresholdsQueue, { durable: true });
    await channel.bindQueue(config.thresholdsQueue, config.telemetry, 'reading.recorded.*');
    await channel.prefetch(10);
    await channel.consume(config.thresholdsQueue, (delivery) => {
      if (!delivery) return;
      let reading;
      try {
        reading = fromMessage(delivery);
      } catch (error) {
        log(SERVICE, `not a CloudEvent (${error.message}); rejecting it`);
        return channel.nack(delivery, false, false);
      }
      if (reading.type !== 'com.example.sensor.reading.recorded') return channel.ack(delivery);
      const { exchange, routingKey, message } = outcome(reading);
      // Settled once the broker confirmed the outcome; if the channel dies first, the broker redelivers.
      channel.publish(exchange, routingKey, message.body, message.properties, (error) => {
        try {
          if (error) channel.nack(delivery, false, true);
          else channel.ack(delivery);
        } catch {
          // channel gone: the reading comes back redelivered and republishes the same ids
        }
      });
    });
  },
});
exitOnSignal(connection);

void connection.ready.then(() =>
  log(SERVICE, `ready (queue ${config.thresholdsQueue}, critical at ${config.criticalCelsius} °C)`),
);
