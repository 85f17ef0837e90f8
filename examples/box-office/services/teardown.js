'use strict';
// Deletes what the services declared (their exchanges and named queues) and the ledger file.
// `node services/teardown.js` after a run; the exclusive queues go away with their connections.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const amqp = require('amqplib');
const { settings } = require('./bus');

async function main() {
  const config = settings();
  const connection = await amqp.connect(config.url);
  const channel = await connection.createChannel();
  for (const queue of [config.paymentsQueue, config.mailerQueue]) await channel.deleteQueue(queue);
  for (const exchange of [config.events, config.commands]) await channel.deleteExchange(exchange);
  await connection.close();
  fs.rmSync(process.env.LEDGER_FILE || path.join(os.tmpdir(), `${config.ns}-ledger.jsonl`), { force: true });
}

main().catch((error) => {
  process.stderr.write(`teardown failed: ${error.message}\n`);
  process.exit(1);
});
