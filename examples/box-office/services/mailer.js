'use strict';
// mailer: sends the receipt for a SendReceipt message that booking put straight on its queue, then announces
// ReceiptSent. Consumes with noAck: the broker forgets a message as soon as it is delivered (fire and forget).
const { connect, decode, publish, log } = require('./bus');

const SERVICE = 'mailer';
const receipted = new Set();

async function main() {
  const { config, channel } = await connect(SERVICE);
  await channel.assertQueue(config.mailerQueue, { durable: true });
  await channel.consume(
    config.mailerQueue,
    (message) => {
      if (!message) return;
      const envelope = decode(message);
      if (!envelope || envelope.event !== 'SendReceipt') return log(SERVICE, 'not a SendReceipt; ignored');
      const { orderId, email } = envelope.data;
      // One receipt per order, even when SendReceipt arrives twice (a duplicated delivery or publish).
      if (receipted.has(orderId)) return log(SERVICE, `receipt for ${orderId} sent already; ignored`);
      receipted.add(orderId);
      log(SERVICE, `receipt for ${orderId} to ${email}`);
      publish(channel, config.events, '', 'ReceiptSent', { orderId }).catch((error) =>
        log(SERVICE, `ReceiptSent for ${orderId} not confirmed: ${error.message}`),
      );
    },
    { noAck: true },
  );
  log(SERVICE, `ready (queue ${config.mailerQueue}, noAck)`);
}

main().catch((error) => {
  log(SERVICE, `failed to start: ${error.stack || error.message}`);
  process.exit(1);
});
