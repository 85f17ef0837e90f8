'use strict';
// The box office's tiny messaging kit: settings from the environment, its own envelope and the connection.
// Written the way a small team writes it: no message ids, no correlation ids, just `{ event, data }`.
const amqp = require('amqplib');

/** Where everything lives; every name hangs off BOX_OFFICE_NS so two copies can share one broker. */
function settings() {
  const ns = process.env.BOX_OFFICE_NS || 'box-office';
  return {
    url: process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    ns,
    events: `${ns}.events`, // fanout: every service hears every event
    commands: `${ns}.commands`, // direct: commands for one service, routed by its name
    paymentsQueue: `${ns}.payments`,
    mailerQueue: `${ns}.mailer`, // booking sends receipts straight here through the default exchange
    bugs: (process.env.BUGS ?? 'double-charge').split(',').filter((bug) => bug && bug !== 'none'),
  };
}

function encode(event, data) {
  return Buffer.from(JSON.stringify({ event, data }));
}

/** The envelope of a delivery, or undefined for bytes that are not one (logged and acked by the caller). */
function decode(message) {
  try {
    const parsed = JSON.parse(message.content.toString('utf8'));
    if (parsed && typeof parsed.event === 'string' && parsed.data && typeof parsed.data === 'object')
      return parsed;
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * Connects and declares the shared exchanges. A lost connection ends the process with exit code 1: these
 * services let their supervisor restart them instead of reconnecting themselves.
 */
async function connect(service) {
  const config = settings();
  const connection = await amqp.connect(config.url, {
    clientProperties: { connection_name: `${config.ns}.${service}.${process.pid}` },
  });
  let stopping = false;
  connection.on('error', (error) => log(service, `connection error: ${error.message}`));
  connection.on('close', () => {
    if (stopping) return;
    log(service, 'connection lost; exiting');
    process.exit(1);
  });
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(config.events, 'fanout', { durable: true });
  await channel.assertExchange(config.commands, 'direct', { durable: true });
  const stop = async () => {
    stopping = true;
    try {
      await connection.close();
    } catch {
      // already closed
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      log(service, `${signal}: stopping`);
      void stop().then(() => process.exit(0));
    });
  }
  return { config, connection, channel, stop };
}

/** Publishes and resolves when the broker confirmed it. */
function publish(channel, exchange, routingKey, event, data) {
  return new Promise((resolve, reject) => {
    channel.publish(
      exchange,
      routingKey,
      encode(event, data),
      { contentType: 'application/json' },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

function log(service, line) {
  process.stdout.write(`[${service}] ${line}\n`);
}

module.exports = { settings, encode, decode, connect, publish, log };
