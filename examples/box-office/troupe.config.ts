// The box office's target manifest: how Troupe runs these four plain-JavaScript services, where their messages
// travel and how to read them. Everything the services use is named after BOX_OFFICE_NS (default `box-office`),
// so a test can run its own copy on a shared broker. The services inherit Troupe's environment: BUGS=none in
// your shell picks the fixed variant (the default is the planted double charge).
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '../../harness/config/define-config';
import { invariant } from '../../harness/fuzz/invariant';

const ns = process.env['BOX_OFFICE_NS'] ?? 'box-office';
const env = {
  BOX_OFFICE_NS: ns,
  LEDGER_FILE: path.join(tmpdir(), `${ns}-ledger.jsonl`),
};

/** `node services/<name>.js`; Troupe hands it the broker URL in AMQP_URL (the proxy's, under chaos). */
const service = (name: string, ready: { log: string } | { queue: string }, queues?: string[]) => ({
  command: 'node',
  args: [`services/${name}.js`],
  env,
  ...(queues ? { queues } : {}),
  ready: { ...ready, timeout: '15s' },
  stop: { signal: 'SIGTERM' as const, grace: '3s' },
});

export default defineConfig({
  name: 'box-office',
  broker: {
    exchanges: [
      { name: `${ns}.events`, type: 'fanout' },
      { name: `${ns}.commands`, type: 'direct', routingKeys: ['payments'] },
    ],
    // booking sends SendReceipt straight to the mailer's queue (default exchange): watched with the firehose.
    directQueues: [`${ns}.mailer`],
  },
  services: {
    booking: service('booking', { log: '[booking] ready' }),
    payments: service('payments', { queue: `${ns}.payments` }, [`${ns}.payments`]),
    mailer: service('mailer', { queue: `${ns}.mailer` }, [`${ns}.mailer`]),
    audit: service('audit', { log: '[audit] ready' }),
  },
  // `{ "event": "OrderPlaced", "data": { … } }`: no message id, so every publication counts on its own.
  adapter: { json: { type: 'event', key: 'data.orderId' } },
  flows: {
    order: {
      start: {
        publish: {
          exchange: `${ns}.events`,
          body: {
            event: 'OrderPlaced',
            data: {
              orderId: '{{flow.key}}',
              seats: 2,
              amountCents: 9000,
              email: 'fan-{{flow.index}}@example.com',
            },
          },
        },
      },
      key: 'data.orderId',
      terminal: ['ReceiptSent', 'BookingCancelled'],
      atMostOnce: ['PaymentProcessed', 'TicketsIssued', 'ReceiptSent', 'BookingCancelled'],
      invariants: [
        invariant.atMostOne('PaymentProcessed').per('data.orderId'),
        invariant.exactlyOne(['ReceiptSent', 'BookingCancelled']).per('data.orderId'),
      ],
    },
  },
});
