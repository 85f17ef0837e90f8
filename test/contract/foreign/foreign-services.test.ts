import { PactV4 } from '@pact-foundation/pact';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { captureProviderTarget } from '../../../harness/contracts/foreign/capture-provider';
import { verifyConsumerByDelivery } from '../../../harness/contracts/foreign/deliver-to-consumer';
import { verifyHttpMessageProvider } from '../../../harness/contracts/foreign/http-message-provider';
import { addEventInteraction } from '../../../harness/contracts/pact/event-interaction';
import { verifyProviderTarget } from '../../../harness/contracts/pact/message-provider-target';
import { zodToPact } from '../../../harness/contracts/pact-rules/zod-to-pact';
import { AmqpTransport } from '../../../harness/transport/amqp/amqp-transport';
import { tempPactDir } from '../support/pact-fixtures';
import { startForeign, type ForeignProcess } from './foreign-process';
import { withScratchTopology, type ScratchTopology } from './scratch-topology';

/**
 * Contracts for services Troupe did not write, on the real broker: a producer and a consumer in plain JavaScript
 * on amqplib, each its own process. The producer is verified by capture (states and trigger over HTTP or an
 * upstream message; what it really publishes is checked, metadata included) and through its own Pact HTTP
 * message-provider endpoint; the consumer by delivery (each pact message published to its real binding, then: was
 * it acked, rejected, or did the consumer crash?).
 */

const orderPlaced = z.object({
  eventType: z.literal('OrderPlaced'),
  orderId: z.uuid(),
  placedAt: z.iso.datetime(),
  customer: z.object({ email: z.email(), tier: z.enum(['standard', 'premium']) }),
  items: z.array(z.object({ sku: z.string(), quantity: z.int(), unitPrice: z.number() })).min(1),
  channel: z.enum(['web', 'app']),
});
const example = {
  eventType: 'OrderPlaced',
  orderId: '0192f5a0-7c1e-7a3b-8d4e-000000000001',
  placedAt: '2026-01-01T12:00:00.000Z',
  customer: { email: 'ada@example.com', tier: 'standard' },
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 12.5 }],
  channel: 'web',
};
const metadata = {
  exchange: 'checkout.events',
  routingKey: 'orders.order.placed',
  contentType: 'application/json',
};

const pacts = tempPactDir('foreign');
let pactFile: string;
const ns = `c13fs-${randomBytes(3).toString('hex')}`;
let scratch: ScratchTopology;
let transport: AmqpTransport;
const contractExchange = (actual: string): string => actual.replace(`${ns}.`, 'checkout.');
const realExchange = (contract: string | undefined): string =>
  (contract ?? '').replace('checkout.', `${ns}.`);

beforeAll(async () => {
  // billing's pact with checkout, written as its team would (the stand-in handler only parses the message: the
  // real consumer's verdict comes from delivering it, below).
  const pact = new PactV4({ consumer: 'billing', provider: 'checkout', dir: pacts.dir, logLevel: 'error' });
  const standard = zodToPact(orderPlaced, example);
  await addEventInteraction(pact, {
    description: 'OrderPlaced: an order to bill',
    contract: standard,
    metadata,
  }).executeTest((message) => Promise.resolve(void orderPlaced.parse(message.contents.content)));
  const premium = zodToPact(orderPlaced, { ...example, customer: { ...example.customer, tier: 'premium' } });
  await addEventInteraction(pact, {
    description: 'OrderPlaced: an order from a premium customer',
    states: [{ name: 'customer is premium' }],
    contract: {
      ...premium,
      rules: { ...premium.rules, '$.customer.tier': { combine: 'AND', matchers: [{ match: 'equality' }] } },
    },
    metadata,
  }).executeTest((message) => Promise.resolve(void orderPlaced.parse(message.contents.content)));
  pactFile = path.join(pacts.dir, 'billing-checkout.json');
  scratch = await withScratchTopology(ns, {
    exchanges: [{ name: `${ns}.events`, type: 'topic' }],
    queues: [],
  });
  // What the foreign processes declare themselves.
  scratch.own('queue', `${ns}.checkout-upstream`);
  scratch.own('queue', `${ns}.billing`);
  scratch.own('exchange', `${ns}.dlx`);
  transport = new AmqpTransport({ url: scratch.url, connectionName: `troupe.contracts-test.${ns}` });
});

afterAll(async () => {
  await transport.close();
  await scratch[Symbol.asyncDispose]();
  pacts.dispose();
});

function producerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AMQP_URL: scratch.url,
    EXCHANGE: `${ns}.events`,
    UPSTREAM_QUEUE: `${ns}.checkout-upstream`,
    ...extra,
  };
}

function byCapture(producer: ForeignProcess, trigger: 'http' | 'upstream') {
  return captureProviderTarget(transport, {
    provider: 'checkout',
    exchanges: [{ name: `${ns}.events`, type: 'topic' }],
    states: {
      'customer is premium': {
        http: { url: `http://127.0.0.1:${producer.port}/state`, body: { name: '{{state}}' } },
      },
    },
    triggers: {
      OrderPlaced:
        trigger === 'http'
          ? { http: { url: `http://127.0.0.1:${producer.port}/trigger`, method: 'POST' } }
          : {
              publish: {
                exchange: `${ns}.events`,
                routingKey: 'carts.cart.checked-out',
                body: { channel: 'app' },
              },
            },
    },
    contractExchange,
    timeoutMs: 5_000,
  });
}

describe('a foreign producer verified by capture (real RabbitMQ, plain JS producer process)', () => {
  it('HTTP state + HTTP trigger, and the upstream message it reacts to: body and metadata verify', async () => {
    await using producer = await startForeign('producer.js', producerEnv());
    const viaHttp = await verifyProviderTarget(byCapture(producer, 'http'), {
      kind: 'files',
      pactUrls: [pactFile],
    });
    const verdicts = viaHttp.interactions.map((interaction) => [interaction.description, interaction.ok]);
    expect(verdicts.sort()).toEqual([
      ['OrderPlaced: an order from a premium customer', true],
      ['OrderPlaced: an order to bill', true],
    ]);
    const viaUpstream = await verifyProviderTarget(byCapture(producer, 'upstream'), {
      kind: 'files',
      pactUrls: [pactFile],
    });
    expect(viaUpstream.ok).toBe(true);
  });

  it('a producer that changed its routing key and content type fails verification naming both', async () => {
    await using producer = await startForeign(
      'producer.js',
      producerEnv({ ROUTING_KEY: 'orders.placed', CONTENT_TYPE: 'text/plain' }),
    );
    const report = await verifyProviderTarget(byCapture(producer, 'http'), {
      kind: 'files',
      pactUrls: [pactFile],
    });
    expect(report.ok).toBe(false);
    const mismatches = report.interactions
      .flatMap((interaction) =>
        interaction.mismatches.map((mismatch) => `${mismatch.path} ${mismatch.message}`),
      )
      .join('\n');
    expect(mismatches).toMatch(/routingKey.*orders\.placed/);
    expect(mismatches).toMatch(/contentType.*text\/plain/);
  });

  it('a producer serving Pact’s HTTP message-provider endpoint is verified through it, and its drift named', async () => {
    const endpoint = async (env: Record<string, string>) => {
      await using producer = await startForeign(
        'producer.js',
        producerEnv({ CONTRACT_EXCHANGE: 'checkout.events', ...env }),
      );
      return await verifyHttpMessageProvider(
        { provider: 'checkout', url: `http://127.0.0.1:${producer.port}/pact-messages` },
        { kind: 'files', pactUrls: [pactFile] },
      );
    };
    const [honest, drifted] = [await endpoint({}), await endpoint({ ROUTING_KEY: 'orders.placed' })];
    expect(honest.ok).toBe(true);
    expect(honest.interactions).toHaveLength(2);
    expect(drifted.ok).toBe(false);
    expect(
      drifted.interactions.flatMap((interaction) => interaction.mismatches.map((m) => m.message)).join('\n'),
    ).toMatch(/routingKey.*orders\.placed/);
  });
});

describe('a foreign consumer verified by delivery (real RabbitMQ, plain JS consumer process)', () => {
  it('acked; a message it rejects is named dead-lettered; one it crashes on is named crashed; the probe reads its state', async () => {
    const queue = `${ns}.billing`;
    // One pact file whose first message the consumer rejects (a decimal quantity) and whose second kills it.
    const pact = JSON.parse(readFileSync(pactFile, 'utf8')) as {
      interactions: { contents: { content: typeof example } }[];
    };
    const [first, second] = pact.interactions;
    if (!first || !second) throw new Error('the pact has two interactions');
    first.contents.content = {
      ...first.contents.content,
      items: [{ sku: 'SKU-1', quantity: 1.5, unitPrice: 1 }],
    };
    second.contents.content = { ...second.contents.content, items: [] };
    const broken = path.join(pacts.dir, 'broken-billing-checkout.json');
    writeFileSync(broken, JSON.stringify(pact));
    const consumer = await startForeign('consumer.js', {
      AMQP_URL: scratch.url,
      EXCHANGE: `${ns}.events`,
      QUEUE: queue,
      DLX: `${ns}.dlx`,
    });
    try {
      const spec = {
        consumer: 'billing',
        queue,
        exchangeFor: realExchange,
        alive: () => consumer.child.exitCode === null,
        probe: { http: { url: `http://127.0.0.1:${consumer.port}/state` } },
        timeoutMs: 5_000,
      };
      const good = await verifyConsumerByDelivery({ transport, spec, pactFiles: [pactFile] });
      expect(good.interactions.map((verdict) => verdict.outcome)).toEqual(['acked', 'acked']);
      const handled = (await (await fetch(`http://127.0.0.1:${consumer.port}/state`)).json()) as {
        handled: number;
      };
      expect(handled.handled).toBe(2);

      const bad = await verifyConsumerByDelivery({ transport, spec, pactFiles: [broken] });
      expect(bad.ok).toBe(false);
      expect(bad.interactions.map((verdict) => verdict.outcome)).toEqual(['rejected', 'crashed']);
      expect(bad.interactions[0]?.detail).toContain('dead-lettered');
      expect(await consumer.exited).toBe(3);
    } finally {
      await consumer.stop();
    }
  });
});
