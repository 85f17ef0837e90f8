'use strict';
// Prints the payments ledger as JSON: `{ "charges": { "<orderId>": <number of charges> }, "totalCents": n }`,
// or for one order `node services/ledger.js <orderId>`: `{ "orderId": "…", "charges": n, "totalCents": n }`.
// The state probe a scenario reads after a run.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { settings } = require('./bus');

const ledgerFile = process.env.LEDGER_FILE || path.join(os.tmpdir(), `${settings().ns}-ledger.jsonl`);
const lines = fs.existsSync(ledgerFile)
  ? fs.readFileSync(ledgerFile, 'utf8').split('\n').filter(Boolean)
  : [];
const charges = {};
let totalCents = 0;
for (const line of lines) {
  const { orderId, amountCents } = JSON.parse(line);
  charges[orderId] = (charges[orderId] || 0) + 1;
  totalCents += amountCents;
}
const orderId = process.argv[2];
if (orderId === undefined) {
  process.stdout.write(`${JSON.stringify({ charges, totalCents })}\n`);
} else {
  const own = lines.map((line) => JSON.parse(line)).filter((charge) => charge.orderId === orderId);
  const cents = own.reduce((sum, charge) => sum + charge.amountCents, 0);
  process.stdout.write(`${JSON.stringify({ orderId, charges: own.length, totalCents: cents })}\n`);
}
