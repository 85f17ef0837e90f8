'use strict';
// booking: holds seats for an order, asks payments to charge the card, issues the tickets once paid and has
// the mailer send the receipt. Hears events on a server-named exclusive queue bound to the fanout exchange and
// acks late: only once everything it published because of a message is confirmed by the broker.
const { connect, decode, publish, encode, log } = require('./bus');

const SERVICE = 'booking';

async function main() {
  const { config, channel } = await connect(SERVICE);
  /** orderId → { seats, email, state } — booking remembers its orders, so a repeated event changes nothing. */
  const orders = new Map();

  const handlers = {
    async OrderPlaced({ orderId, seats, amountCents, email }) {
      if (orders.has(orderId)) return;
      orders.set(orderId, { seats, email, state: 'held' });
      await publish(channel, config.events, '', 'SeatsHeld', { orderId, seats });
      await publish(channel, config.commands, 'payments', 'ChargeCard', { orderId, amountCents });
    },
    async PaymentProcessed({ orderId }) {
      const order = orders.get(orderId);
      if (!order || order.state !== 'held') return;
      order.state = 'ticketed';
      await publish(channel, config.events, '', 'TicketsIssued', { orderId, seats: order.seats });
      // Straight to the mailer's queue through the default exchange: no exchange, no binding.
      await new Promise((resolve, reject) =>
        channel.sendToQueue(
          config.mailerQueue,
          encode('SendReceipt', { orderId, email: order.email }),
          { contentType: 'application/json' },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    },
    async PaymentDeclined({ orderId, reason }) {
      const order = orders.get(orderId);
      if (!order || order.state !== 'held') return;
      order.state = 'cancelled';
      await publish(channel, config.events, '', 'BookingCancelled', { orderId, seats: order.seats, reason });
    },
  };

  await channel.prefetch(20);
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, config.events, '');
  await channel.consume(queue, (message) => {
    if (!message) return;
    const envelope = decode(message);
    const handler = envelope && handlers[envelope.event];
    if (!handler) return channel.ack(message);
    handler(envelope.data).then(
      () => channel.ack(message),
      (error) => {
        log(SERVICE, `${envelope.event} failed: ${error.message}; requeueing`);
        channel.nack(message, false, true);
      },
    );
  });
  log(SERVICE, `ready (queue ${queue})`);
}

main().catch((error) => {
  log(SERVICE, `failed to start: ${error.stack || error.message}`);
  process.exit(1);
});
