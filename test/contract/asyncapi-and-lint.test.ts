import { z } from 'zod';
import { stringify } from 'yaml';
import { generateAsyncApi } from '../../harness/contracts/asyncapi/generate-asyncapi';
import { validateAsyncApi } from '../../harness/contracts/asyncapi/validate-asyncapi';
import { lintCatalog, looksLikeCardNumber } from '../../harness/contracts/lint/lint-catalog';
import { defineEvent } from '../../harness/events/define-event';
import { shopCatalog } from '../../reference-services/events/catalog';
import { consumedBy } from '../../reference-services/services';

function shopConsumers(): Record<string, string[]> {
  const consumers: Record<string, string[]> = {};
  for (const [service, types] of Object.entries(consumedBy)) {
    for (const type of types) consumers[type] = [...(consumers[type] ?? []), service];
  }
  return consumers;
}

describe('AsyncAPI 3.0 document generated from the catalog', () => {
  const document = generateAsyncApi(shopCatalog.definitions, {
    title: 'Troupe reference shop',
    version: '1.0.0',
    exchange: 'troupe.shop.events',
    consumers: shopConsumers(),
  });

  it('is valid according to @asyncapi/parser (as YAML, as `troupe contracts asyncapi` prints it)', async () => {
    const result = await validateAsyncApi(stringify(document));
    expect(result.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has one channel per event (routing key, AMQP topic exchange) and send/receive operations per service', () => {
    const channels = document['channels'] as Record<
      string,
      { address: string; bindings: { amqp: { exchange: { name: string } } } }
    >;
    expect(Object.keys(channels).sort()).toEqual(shopCatalog.types().sort());
    expect(channels['OrderPlaced']?.address).toBe('orders.order.placed');
    expect(channels['OrderPlaced']?.bindings.amqp.exchange.name).toBe('troupe.shop.events');
    const operations = Object.keys(document['operations'] as object);
    expect(operations).toEqual(
      expect.arrayContaining([
        'ordersPublishesOrderPlaced',
        'paymentsReceivesOrderPlaced',
        'notificationsReceivesOrderCancelled',
      ]),
    );
  });

  it('the parser rejects a broken document (the check can fail)', async () => {
    const broken = { ...document, channels: { Bad: { address: 7 } } };
    expect((await validateAsyncApi(broken)).valid).toBe(false);
  });
});

describe('catalog lint: no sensitive data in events', () => {
  it('passes on the shop catalog', () => {
    expect(lintCatalog(shopCatalog.definitions).findings).toEqual([]);
  });

  it('fails on a bad catalog, naming each field: card number, CVV, password by name; a card number by value', () => {
    const bad = defineEvent({
      type: 'CheckoutSubmitted',
      version: '1.0',
      producer: 'storefront',
      routingKey: 'storefront.checkout.submitted',
      description: 'a bad event',
      payload: z.object({
        orderId: z.uuid(),
        payment: z.object({ cardNumber: z.string(), cvv: z.string(), expiry: z.string() }),
        account: z.object({ user_password: z.string().optional() }),
        reference: z.string(),
      }),
      example: {
        orderId: '0192f5a0-7c1e-7a3b-8d4e-1f2a3b4c5d6e',
        payment: { cardNumber: 'tokenized', cvv: 'xxx', expiry: '12/30' },
        account: {},
        reference: '4111 1111 1111 1111',
      },
    });
    const report = lintCatalog([bad]);
    expect(report.ok).toBe(false);
    expect(report.findings.map((finding) => `${finding.rule} ${finding.path}`).sort()).toEqual([
      'card-number-value reference',
      'sensitive-name account.user_password',
      'sensitive-name payment.cardNumber',
      'sensitive-name payment.cvv',
    ]);
  });

  it('recognises card numbers by Luhn, not by length alone', () => {
    expect(looksLikeCardNumber('4111111111111111')).toBe(true);
    expect(looksLikeCardNumber('5500-0000-0000-0004')).toBe(true);
    expect(looksLikeCardNumber('4111111111111112')).toBe(false);
    expect(looksLikeCardNumber('0192f5a0-7c1e-7a3b')).toBe(false);
  });
});
