import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { brokerFromEnv } from '../../harness/contracts/broker/broker-config';
import { ciContext } from '../../harness/contracts/broker/ci-context';
import { verifyProviderTarget } from '../../harness/contracts/pact/message-provider-target';
import { ContractError } from '../../harness/contracts/contract-error';
import {
  assertProviderVerified,
  verifyMessageProvider,
  type PactSource,
  type VerificationReport,
} from '../../harness/contracts/pact/verify-message-provider';
import type { NewOutboxRecord } from '../../reference-services/kit/store';
import type { ServiceName } from '../../reference-services/services';
import { rewriteEventBody } from './shop/outbox-rewrite';
import { shopProviderTarget } from './shop/shop-provider';
import { repoRoot } from './support/pact-fixtures';

/**
 * Provider verification of every producer of the shop: the message providers run the producer's real code (the
 * order command, then each consumer's real handler, until the producer writes its outbox row) and hand the pact
 * verifier that row. Against the committed `pacts/`, or a Pact Broker when PACT_BROKER_BASE_URL is set.
 */

const pactDir = path.join(repoRoot, 'pacts');

function pactsFor(provider: string): string[] {
  return readdirSync(pactDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => path.join(pactDir, file))
    .filter(
      (file) =>
        (JSON.parse(readFileSync(file, 'utf8')) as { provider: { name: string } }).provider.name === provider,
    );
}

function sourceFor(provider: string): PactSource {
  const broker = brokerFromEnv();
  if (broker) return { kind: 'broker', broker, ci: ciContext() };
  return { kind: 'files', pactUrls: pactsFor(provider) };
}

const producers: readonly ServiceName[] = ['orders', 'payments', 'inventory', 'shipping'];

describe('shop provider verification (real producer code → outbox row → pact verifier)', () => {
  it.each(producers)('%s honours every consumer pact', async (provider) => {
    const source = sourceFor(provider);
    if (source.kind === 'files') expect(source.pactUrls.length).toBeGreaterThan(0);
    const report = await verifyProviderTarget(shopProviderTarget(provider), source);
    assertProviderVerified(report);
    expect(report.interactions.length).toBeGreaterThan(0);
  });
});

/** Verifies `provider` (against the committed pacts only) with its outbox rows rewritten by `rewrite`. */
async function verifyBroken(
  provider: ServiceName,
  rewrite: (record: NewOutboxRecord) => NewOutboxRecord,
): Promise<VerificationReport> {
  return verifyProviderTarget(shopProviderTarget(provider, { rewriteOutbox: rewrite }), {
    kind: 'files',
    pactUrls: pactsFor(provider),
  });
}

function failingPaths(report: VerificationReport): string[] {
  return report.interactions.flatMap((interaction) =>
    interaction.mismatches.map((mismatch) => `${mismatch.path} ${mismatch.message}`),
  );
}

describe('a verifier that cannot run', () => {
  it('throws verification-failed with the verifier’s own error as cause', async () => {
    const missing = path.join(pactDir, 'no-such-pact.json');
    const error = await verifyMessageProvider({
      provider: 'nobody',
      source: { kind: 'files', pactUrls: [missing] },
      messageProviders: {},
    }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('verification-failed');
    expect((error as ContractError).message).toContain('could not run for nobody');
    expect(((error as ContractError).cause as Error).message).toContain('no-such-pact.json');
  });
});

describe('broken producers fail verification, naming the field', () => {
  it('orders drops payload.fraudScore from OrderPlaced', async () => {
    const report = await verifyBroken(
      'orders',
      rewriteEventBody('OrderPlaced', (envelope) => {
        delete (envelope['payload'] as Record<string, unknown>)['fraudScore'];
      }),
    );
    expect(report.ok).toBe(false);
    expect(failingPaths(report).join('\n')).toMatch(/\$\.payload .*fraudScore/);
    expect(() => assertProviderVerified(report)).toThrow(/fraudScore/);
  });

  it('payments sends payload.amount.amountMinor of PaymentCompleted as a string', async () => {
    const report = await verifyBroken(
      'payments',
      rewriteEventBody('PaymentCompleted', (envelope) => {
        const amount = (envelope['payload'] as { amount: Record<string, unknown> }).amount;
        amount['amountMinor'] = String(amount['amountMinor']);
      }),
    );
    expect(report.ok).toBe(false);
    expect(failingPaths(report).join('\n')).toContain('$.payload.amount.amountMinor');
  });

  it('inventory renames the eventType of InventoryReserved', async () => {
    const report = await verifyBroken(
      'inventory',
      rewriteEventBody('InventoryReserved', (envelope) => {
        envelope['eventType'] = 'InventoryAllocated';
      }),
    );
    expect(report.ok).toBe(false);
    expect(failingPaths(report).join('\n')).toContain('$.eventType');
  });

  it('shipping drops payload.estimatedDelivery from ShipmentScheduled', async () => {
    const report = await verifyBroken(
      'shipping',
      rewriteEventBody('ShipmentScheduled', (envelope) => {
        delete (envelope['payload'] as Record<string, unknown>)['estimatedDelivery'];
      }),
    );
    expect(report.ok).toBe(false);
    expect(failingPaths(report).join('\n')).toMatch(/\$\.payload .*estimatedDelivery/);
  });

  it('payments publishes PaymentCompleted with another content type (the body unchanged)', async () => {
    const report = await verifyProviderTarget(
      shopProviderTarget('payments', {
        amendMessage: (message) =>
          message.type === 'PaymentCompleted' ? { ...message, contentType: 'text/plain' } : message,
      }),
      { kind: 'files', pactUrls: pactsFor('payments') },
    );
    expect(report.ok).toBe(false);
    const failing = report.interactions.filter((interaction) => !interaction.ok);
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((interaction) => interaction.description.startsWith('PaymentCompleted:'))).toBe(
      true,
    );
    expect(failingPaths(report).join('\n')).toMatch(/contentType.*text\/plain|text\/plain.*contentType/i);
  });

  it('orders publishes OrderPlaced on another routing key', async () => {
    const report = await verifyBroken('orders', (record) =>
      record.eventType === 'OrderPlaced' ? { ...record, routingKey: 'orders.placed' } : record,
    );
    expect(report.ok).toBe(false);
    expect(failingPaths(report).join('\n')).toMatch(/routingKey.*orders\.order\.placed|orders\.placed/);
    expect(() => assertProviderVerified(report)).toThrow(/routingKey/);
  });
});
