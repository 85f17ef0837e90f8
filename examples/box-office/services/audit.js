'use strict';
// audit: keeps a count of every event on the fanout exchange. Acks late and in batches: it holds up to 50
// deliveries and acks them all at once (multiple = true) every 200 ms, the way log shippers do.
const { connect, decode, log } = require('./bus');

const SERVICE = 'audit';

async function main() {
  const { config, channel } = await connect(SERVICE);
  const counts = {};
  let last;
  await channel.prefetch(50);
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, config.events, '');
  await channel.consume(queue, (message) => {
    if (!message) return;
    const envelope = decode(message);
    const event = envelope ? envelope.event : '(unreadable)';
    counts[event] = (counts[event] || 0) + 1;
    last = message;
  });
  setInterval(() => {
    if (!last) return;
    channel.ack(last, true);
    last = undefined;
    log(SERVICE, `acked up to now: ${JSON.stringify(counts)}`);
  }, 200).unref();
  log(SERVICE, `ready (queue ${queue})`);
}

main().catch((error) => {
  log(SERVICE, `failed to start: ${error.stack || error.message}`);
  process.exit(1);
});
