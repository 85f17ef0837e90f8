'use strict';
// pager: pages the on-call engineer for every critical alert (headers exchange: x-match all, severity =
// critical) and announces com.example.page.sent (structured CloudEvent, topic exchange). It keeps one connection
// for consuming and one for publishing, and reconnects either when it drops.
//
// Planted bug (BUGS=drop-while-disconnected, the default): fire and forget. Alerts are consumed with noAck (the
// broker forgets them on delivery), page.sent is published on a plain channel without confirms, and a publish
// while the publisher connection is down is logged and dropped: whatever was in flight when it broke is gone.
// BUGS=none: page.sent goes into a buffer that is published on a confirm channel and kept until confirmed (so
// it survives reconnects); the alert is acked only after that, and a redelivered alert is not paged twice.
const { createHash, randomUUID } = require('node:crypto');
const { CloudEvent } = require('cloudevents');
const { toStructured, fromMessage } = require('./cloudevents-amqp');
const { keepConnected, exitOnSignal } = require('./reconnecting');
const { settings, log } = require('./settings');

const SERVICE = 'pager';
const SOURCE = '/sensor-alerts/pager';
const PAGE_LATENCY_MS = Number(process.env.PAGE_LATENCY_MS || 300); // the paging provider is slow

const config = settings();
const fireAndForget = config.bugs.includes('drop-while-disconnected');

// ── publishing ────────────────────────────────────────────────────────────────────────────────────────────
let publishChannel; // the current publisher channel, undefined while disconnected
/** Fixed variant: page.sent messages not yet confirmed, with the callbacks waiting for their confirm. */
const unconfirmed = [];

function flush() {
  for (const entry of unconfirmed) {
    if (!publishChannel || entry.inFlight) continue;
    entry.inFlight = true;
    const channel = publishChannel;
    channel.publish(config.telemetry, entry.routingKey, entry.body, entry.properties, (error) => {
      entry.inFlight = false;
      if (error) {
        // Nacked, or the channel closed: it stays buffered; a reconnect flushes again, a nack is retried soon.
        setTimeout(flush, 100).unref();
        return;
      }
      unconfirmed.splice(unconfirmed.indexOf(entry), 1);
      entry.confirmed();
    });
  }
}

function publishPageSent(routingKey, { body, properties }) {
  if (fireAndForget) {
    if (!publishChannel) {
      log(SERVICE, `publisher is down: dropping ${routingKey}`);
      return Promise.resolve();
    }
    try {
      publishChannel.publish(config.telemetry, routingKey, body, properties);
    } catch (error) {
      log(SERVICE, `publish failed (${error.message}): dropping ${routingKey}`);
    }
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    unconfirmed.push({ routingKey, body, properties, inFlight: false, confirmed: resolve });
    flush();
  });
}

const publisher = keepConnected({
  config,
  service: SERVICE,
  role: 'publisher',
  async onOpen(connection) {
    const channel = fireAndForget
      ? await connection.createChannel()
      : await connection.createConfirmChannel();
    channel.on('error', (error) => log(SERVICE, `publisher channel error: ${error.message}`));
    channel.on('close', () => {
      if (publishChannel === channel) publishChannel = undefined;
    });
    await channel.assertExchange(config.telemetry, 'topic', { durable: true });
    publishChannel = channel;
    if (!fireAndForget) flush();
  },
  onDown() {
    publishChannel = undefined;
  },
});

// ── consuming ─────────────────────────────────────────────────────────────────────────────────────────────
/** Fixed variant: alert id → promise of its page having been announced (a redelivery waits for it). */
const paged = new Map();

async function page(alert) {
  const { alertId, readingId, sensorId } = alert.data;
  await new Promise((resolve) => setTimeout(resolve, PAGE_LATENCY_MS)); // the paging provider's round trip
  const pageSent = new CloudEvent({
    // Fixed variant: the id derives from the alert's, so a page re-sent after a reconnect is the same event.
    ...(fireAndForget
      ? {}
      : { id: `page-${createHash('sha256').update(alert.id).digest('hex').slice(0, 32)}` }),
    source: SOURCE,
    type: 'com.example.page.sent',
    subject: sensorId,
    correlationid: readingId,
    causationid: alert.id,
    datacontenttype: 'application/json',
    data: { pageId: randomUUID(), alertId, readingId, sensorId, oncall: 'sre-primary' },
  });
  await publishPageSent(`page.sent.${sensorId}`, toStructured(pageSent));
}

const consumer = keepConnected({
  config,
  service: SERVICE,
  role: 'consumer',
  async onOpen(connection) {
    const channel = await connection.createChannel();
    channel.on('error', (error) => log(SERVICE, `consumer channel error: ${error.message}`));
    await channel.assertExchange(config.alerts, 'headers', { durable: true });
    await channel.assertQueue(config.pagerQueue, { durable: true });
    await channel.bindQueue(config.pagerQueue, config.alerts, '', { 'x-match': 'all', severity: 'critical' });
    await channel.prefetch(10);
    // Fire and forget consumes with noAck: the broker forgets an alert the moment it hands it over.
    const consumeOptions = { noAck: fireAndForget };
    await channel.consume(
      config.pagerQueue,
      (message) => {
        if (!message) return;
        let alert;
        try {
          alert = fromMessage(message);
        } catch (error) {
          log(SERVICE, `not a CloudEvent (${error.message}); ${fireAndForget ? 'ignoring' : 'rejecting'} it`);
          if (!fireAndForget) channel.nack(message, false, false);
          return;
        }
        log(SERVICE, `paging for alert ${alert.id} (reading ${alert.data.readingId})`);
        const ack = () => {
          try {
            channel.ack(message);
          } catch {
            // The channel went away before the ack: the broker redelivers, and `paged` makes that harmless.
          }
        };
        if (fireAndForget) {
          page(alert).catch((error) => log(SERVICE, `page for ${alert.id} failed: ${error.message}`));
          return;
        }
        if (!paged.has(alert.id)) paged.set(alert.id, page(alert));
        paged.get(alert.id).then(ack, (error) => {
          paged.delete(alert.id);
          log(SERVICE, `page for ${alert.id} failed: ${error.message}; requeueing`);
          channel.nack(message, false, true);
        });
      },
      consumeOptions,
    );
  },
});
exitOnSignal(consumer, publisher);

void Promise.all([consumer.ready, publisher.ready]).then(() =>
  log(
    SERVICE,
    `ready (queue ${config.pagerQueue}, ${fireAndForget ? 'bug: drop-while-disconnected' : 'buffered + confirmed'})`,
  ),
);
