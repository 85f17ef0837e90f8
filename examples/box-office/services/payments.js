'use strict';
// payments: charges the card for a ChargeCard command (direct exchange, routing key "payments") and announces
// PaymentProcessed or PaymentDeclined on the fanout exchange. Every charge is a line in the ledger file.
//
// Planted bug (BUGS=double-charge, the default): the charge is not idempotent. The broker delivers at least
// once, so a ChargeCard that arrives twice charges the customer twice. BUGS=none checks the ledger first.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { connect, decode, publish, log } = require('./bus');

const SERVICE = 'payments';
const CARD_LIMIT_CENTS = Number(process.env.CARD_LIMIT_CENTS || 50_000);

async function main() {
  const { config, channel } = await connect(SERVICE);
  const ledgerFile = process.env.LEDGER_FILE || path.join(os.tmpdir(), `${config.ns}-ledger.jsonl`);
  const idempotent = !config.bugs.includes('double-charge');

  function chargedAlready(orderId) {
    if (!fs.existsSync(ledgerFile)) return false;
    return fs
      .readFileSync(ledgerFile, 'utf8')
      .split('\n')
      .some((line) => line && JSON.parse(line).orderId === orderId);
  }

  async function chargeCard({ orderId, amountCents }) {
    if (idempotent && chargedAlready(orderId)) {
      log(SERVICE, `order ${orderId} is charged already; ignoring the repeated command`);
      return;
    }
    if (amountCents > CARD_LIMIT_CENTS) {
      await publish(channel, config.events, '', 'PaymentDeclined', { orderId, reason: 'over-limit' });
      return;
    }
    const chargeId = randomUUID();
    fs.appendFileSync(ledgerFile, `${JSON.stringify({ orderId, chargeId, amountCents })}\n`);
    await publish(channel, config.events, '', 'PaymentProcessed', { orderId, chargeId, amountCents });
  }

  await channel.prefetch(1);
  await channel.assertQueue(config.paymentsQueue, { durable: true });
  await channel.bindQueue(config.paymentsQueue, config.commands, 'payments');
  await channel.consume(config.paymentsQueue, (message) => {
    if (!message) return;
    const envelope = decode(message);
    if (!envelope || envelope.event !== 'ChargeCard') {
      log(SERVICE, 'not a ChargeCard command; dropping it');
      return channel.ack(message);
    }
    chargeCard(envelope.data).then(
      () => channel.ack(message),
      (error) => {
        log(SERVICE, `ChargeCard failed: ${error.message}; requeueing`);
        channel.nack(message, false, true);
      },
    );
  });
  log(SERVICE, `ready (queue ${config.paymentsQueue}, ${idempotent ? 'idempotent' : 'bug: double-charge'})`);
}

main().catch((error) => {
  log(SERVICE, `failed to start: ${error.stack || error.message}`);
  process.exit(1);
});
