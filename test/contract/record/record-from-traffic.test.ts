import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listQueueBindings } from '../../../harness/contracts/_internals/broker-topology';
import { pactsFromTraffic, recordedPactFile } from '../../../harness/contracts/record/pacts-from-traffic';
import { startTrafficRecorder } from '../../../harness/contracts/record/record-traffic';
import { AmqpTransport } from '../../../harness/transport/amqp/amqp-transport';
import { startForeign } from '../foreign/foreign-process';
import { repoRoot } from '../support/pact-fixtures';
import { withScratchTopology } from '../foreign/scratch-topology';

/**
 * `troupe contracts record` on the real broker: a foreign producer process (plain JS on amqplib) publishes
 * OrderPlaced six times while two queues are bound to its exchange; the recorder taps the exchange and writes one
 * consumer pact skeleton per consumer/provider pair with matchers inferred from what travelled.
 */

const schema = JSON.parse(
  readFileSync(
    path.resolve(repoRoot, '..', 'shared', 'reference', 'pact-schemas', 'pact-schema-v4.json'),
    'utf8',
  ),
) as object;

describe('pacts from traffic (real RabbitMQ, a foreign producer process)', () => {
  it('infers types, integer vs decimal, uuid, ISO date-time, email and enums, one pact per consumer/provider pair', async () => {
    const ns = `c13rec-${randomBytes(3).toString('hex')}`;
    await using scratch = await withScratchTopology(ns, {
      exchanges: [{ name: `${ns}.events`, type: 'topic' }],
      queues: [
        { name: `${ns}.billing`, exchange: `${ns}.events`, bindings: ['orders.#'] },
        { name: `${ns}.shipping`, exchange: `${ns}.events`, bindings: ['orders.order.placed'] },
        { name: `${ns}.audit`, exchange: `${ns}.events`, bindings: ['carts.#'] },
      ],
    });
    await using producer = await startForeign('producer.js', {
      EXCHANGE: `${ns}.events`,
      AMQP_URL: scratch.url,
    });
    const transport = new AmqpTransport({ url: scratch.url, connectionName: `troupe.contracts-test.${ns}` });
    try {
      const bindings = (await listQueueBindings()).filter((binding) => binding.exchange === `${ns}.events`);
      const exchanges = [{ name: `${ns}.events`, type: 'topic' as const }];
      await using recorder = await startTrafficRecorder({
        transport,
        exchanges,
        bindings,
        durationMs: 15_000,
        until: (messages) => messages.length >= 6,
      });
      for (let index = 0; index < 6; index++) {
        const response = await fetch(`http://127.0.0.1:${producer.port}/trigger`, { method: 'POST' });
        expect(response.status).toBe(202);
      }
      const messages = await recorder.finished;
      expect(messages).toHaveLength(6);

      const pacts = pactsFromTraffic(messages, {
        exchanges,
        bindings,
        consumerOf: (queue) => queue.split('.').pop(),
      });
      expect(pacts.map((pact) => pact.file)).toEqual(['billing-orders.json', 'shipping-orders.json']);
      const [interaction] = pacts[0]?.interactions ?? [];
      expect(interaction?.description).toBe('OrderPlaced: recorded from traffic');
      expect(interaction?.samples).toBe(6);
      expect(interaction?.metadata).toEqual({
        exchange: `${ns}.events`,
        routingKey: 'orders.order.placed',
        contentType: 'application/json',
      });
      const kinds = Object.fromEntries((interaction?.fields ?? []).map((field) => [field.path, field.kind]));
      expect(kinds).toMatchObject({
        '$.eventType': 'enum (OrderPlaced)',
        '$.orderId': 'uuid',
        '$.placedAt': 'ISO date-time',
        '$.customer.email': 'email',
        '$.customer.tier': 'enum (standard)',
        '$.items': 'array',
        '$.items[*].sku': 'string',
        '$.items[*].quantity': 'integer',
        '$.items[*].unitPrice': 'decimal',
        '$.channel': 'enum (app|web)',
      });
      expect(interaction?.rules['$.items[*].quantity']).toEqual({
        combine: 'AND',
        matchers: [{ match: 'integer' }],
      });

      const ajv = new Ajv({ allErrors: true, strict: false });
      addFormats(ajv);
      const validate = ajv.compile(schema);
      for (const pact of pacts) {
        expect(validate(recordedPactFile(pact))).toBe(true);
      }
    } finally {
      await transport.close();
    }
  });
});
