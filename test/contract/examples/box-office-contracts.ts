import { readFileSync } from 'node:fs';
import path from 'node:path';
import { captureProviderTarget } from '../../../harness/contracts/foreign/capture-provider';
import {
  verifyConsumerByDelivery,
  type DeliveryReport,
} from '../../../harness/contracts/foreign/deliver-to-consumer';
import { verifyProviderTarget } from '../../../harness/contracts/pact/message-provider-target';
import type { VerificationReport } from '../../../harness/contracts/pact/verify-message-provider';
import { repoRoot } from '../support/pact-fixtures';
import { reportLines, startExample } from './example-run';

/** Where the example and its committed pacts are. */
export const boxOfficeDir = path.join(repoRoot, 'examples', 'box-office');
export const boxOfficePactDir = path.join(boxOfficeDir, 'pacts');

/** Both directions of the box office's pacts, verified on the running example. */
export interface BoxOfficeVerification {
  readonly providers: readonly VerificationReport[];
  readonly consumers: readonly DeliveryReport[];
  readonly lines: readonly string[];
}

/**
 * Starts the box office from its manifest under namespace `ns` (four node processes on RabbitMQ), verifies each
 * producer by capture and each consumer by delivery against the pacts in `pactDir`, stops it and removes what it
 * declared. `BOX_OFFICE_NS` must be `ns` before the manifest is loaded (it names everything after it).
 */
export async function verifyBoxOffice(ns: string, pactDir: string): Promise<BoxOfficeVerification> {
  await using example = await startExample(boxOfficeDir, 'BOX_OFFICE_NS', ns);
  const { started, transport } = example;
  const pacts = (consumer: string): string[] => [path.join(pactDir, `${consumer}.json`)];
  const contractExchange = (actual: string): string => actual.replace(`${ns}.`, 'box-office.');
  const realExchange = (contract: string | undefined): string =>
    (contract ?? '').replace('box-office.', `${ns}.`);
  const publish = (exchange: string, routingKey: string, event: string, data: object) => ({
    publish: { exchange: `${ns}.${exchange}`, routingKey, body: { event, data } },
  });
  const orderId = `contract-${ns}`;

  // Producers by capture: trigger them with the upstream message they react to, check what they publish.
  const booking = captureProviderTarget(transport, {
    provider: 'booking',
    exchanges: started.exchanges,
    triggers: {
      ChargeCard: publish('events', '', 'OrderPlaced', {
        orderId,
        seats: 2,
        amountCents: 9000,
        email: 'fan@example.com',
      }),
    },
    contractExchange,
  });
  const payments = captureProviderTarget(transport, {
    provider: 'payments',
    exchanges: started.exchanges,
    states: { 'the amount is over the card limit': () => Promise.resolve() },
    triggers: {
      PaymentProcessed: publish('commands', 'payments', 'ChargeCard', {
        orderId: `${orderId}-1`,
        amountCents: 9000,
      }),
      PaymentDeclined: publish('commands', 'payments', 'ChargeCard', {
        orderId: `${orderId}-2`,
        amountCents: 90000,
      }),
    },
    contractExchange,
  });
  const providers: VerificationReport[] = [
    await verifyProviderTarget(booking, { kind: 'files', pactUrls: pacts('payments-booking') }),
    await verifyProviderTarget(payments, { kind: 'files', pactUrls: pacts('booking-payments') }),
  ];

  // Consumers by delivery: each pact message through the real exchange and binding to the running service.
  const running = (service: string) => () =>
    started.service(service).running && started.failure() === undefined;
  const ledgerFile = path.join(process.env['TMPDIR'] ?? '/tmp', `${ns}-ledger.jsonl`);
  const consumers = [
    await verifyConsumerByDelivery({
      transport,
      url: started.brokerUrl,
      spec: {
        consumer: 'payments',
        queue: `${ns}.payments`,
        exchangeFor: realExchange,
        alive: running('payments'),
        // Its state: the ledger has the charge of the pact's order.
        probe: () => {
          const pact = JSON.parse(readFileSync(pacts('payments-booking')[0] ?? '', 'utf8')) as {
            interactions: { contents: { content: { data: { orderId: string } } } }[];
          };
          const wanted = pact.interactions[0]?.contents.content.data.orderId;
          const charged = readFileSync(ledgerFile, 'utf8').includes(`"orderId":"${wanted}"`);
          return charged
            ? Promise.resolve()
            : Promise.reject(new Error(`no charge for ${wanted} in the ledger`));
        },
      },
      pactFiles: pacts('payments-booking'),
    }),
    await verifyConsumerByDelivery({
      transport,
      url: started.brokerUrl,
      spec: {
        consumer: 'booking',
        queue: { connection: `${ns}.booking.` },
        exchangeFor: realExchange,
        alive: running('booking'),
      },
      pactFiles: pacts('booking-payments'),
    }),
  ];
  const lines = reportLines(providers, consumers);
  return { providers, consumers, lines };
}
