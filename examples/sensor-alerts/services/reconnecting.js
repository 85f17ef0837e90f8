'use strict';
// One named AMQP connection kept up: reconnects RECONNECT_MS after it drops (or after a failed attempt) and runs
// `onOpen(connection)` after every (re)connect, so channels, topology and consumers are set up again.
const amqp = require('amqplib');
const { log } = require('./settings');

const RECONNECT_MS = Number(process.env.RECONNECT_MS || 500);

/**
 * Returns `{ ready, close }`: `ready` resolves after the first successful open; `close()` stops reconnecting and
 * closes the connection. `onDown()` runs whenever the connection is lost.
 */
function keepConnected({ config, service, role, onOpen, onDown = () => {} }) {
  let connection;
  let closing = false;
  let firstOpen;
  const ready = new Promise((resolve) => (firstOpen = resolve));
  const open = async () => {
    if (closing) return;
    try {
      const opened = await amqp.connect(config.url, {
        clientProperties: { connection_name: `${config.ns}.${service}.${role}.${process.pid}` },
      });
      opened.on('error', (error) => log(service, `${role} connection error: ${error.message}`));
      opened.on('close', () => {
        connection = undefined;
        onDown();
        if (closing) return;
        log(service, `${role} connection lost; reconnecting in ${RECONNECT_MS} ms`);
        setTimeout(open, RECONNECT_MS);
      });
      connection = opened;
      await onOpen(opened);
      log(service, `${role} connected`);
      firstOpen();
    } catch (error) {
      log(service, `${role} connect failed (${error.message}); retrying in ${RECONNECT_MS} ms`);
      setTimeout(open, RECONNECT_MS);
    }
  };
  void open();
  return {
    ready,
    close: async () => {
      closing = true;
      if (connection) await connection.close().catch(() => {});
    },
  };
}

/** Closes every kept connection on SIGTERM / SIGINT, then exits 0. */
function exitOnSignal(...kept) {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      void Promise.all(kept.map((k) => k.close())).then(() => process.exit(0));
    });
  }
}

module.exports = { keepConnected, exitOnSignal };
