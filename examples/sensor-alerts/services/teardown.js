'use strict';
// Deletes what the services declared: their exchanges and queues. `node services/teardown.js` after a run.
const amqp = require('amqplib');
const { settings } = require('./settings');

async function main() {
  const config = settings();
  const connection = await amqp.connect(config.url);
  const channel = await connection.createChannel();
  for (const queue of [config.thresholdsQueue, config.pagerQueue]) await channel.deleteQueue(queue);
  for (const exchange of [config.telemetry, config.alerts]) await channel.deleteExchange(exchange);
  await connection.close();
}

main().catch((error) => {
  process.stderr.write(`teardown failed: ${error.message}\n`);
  process.exit(1);
});
