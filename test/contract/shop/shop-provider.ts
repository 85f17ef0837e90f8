import type {
  MessageProviderTarget,
  ProducedMessage,
} from '../../../harness/contracts/pact/message-provider-target';
import type { StateHandler } from '../../../harness/contracts/pact/verify-message-provider';
import { shopCatalog } from '../../../reference-services/events/catalog';
import { exampleShippingAddress } from '../../../reference-services/events/common';
import { manualClock, seededIds } from '../../../reference-services/kit/determinism';
import { MemoryStore } from '../../../reference-services/kit/memory-store';
import type { NewOutboxRecord, OutboxRecord, Store } from '../../../reference-services/kit/store';
import { consumersOf, type ServiceName } from '../../../reference-services/services';
import { createShopProcessors } from '../../../reference-services/shop-processors';
import { toMessage } from '../../../reference-services/kit/outbox-relay';
import type { OutgoingMessage } from '../../../harness/transport/transport';
import { withOutboxRewrite } from './outbox-rewrite';

/** The provider states consumers of the shop may name (the setup each one adds). */
export const shopStates = {
  customerIsPremium: 'customer is premium',
  stockIsInsufficient: 'stock is insufficient',
  cardIsDeclined: 'the card is declined',
  refundsAreRefused: 'the gateway refuses refunds',
} as const;

interface ShopSetup {
  tier: 'standard' | 'premium';
  stockShort: boolean;
  declined: boolean;
  refundRefused: boolean;
}

const customerId = '0192f5a0-7c1e-7a3b-8d4e-aaaaaaaaaaaa';
const sku = 'BOOK-001';

/**
 * A shop service as a pact provider: `produce(eventType)` runs the real shop in memory — the order command, then
 * every consumer's real handler on each outbox row, in order — until the provider's own code writes an
 * `eventType` row, and returns the message the outbox relay makes of it. No hand-written message anywhere.
 */
export function shopProviderTarget(
  provider: ServiceName,
  options: {
    readonly rewriteOutbox?: (record: NewOutboxRecord) => NewOutboxRecord;
    /** Changes the broker message the relay makes of the row (a producer that sends another content type). */
    readonly amendMessage?: (message: OutgoingMessage) => OutgoingMessage;
  } = {},
): MessageProviderTarget {
  let setup = defaultSetup();
  const state =
    (change: (current: ShopSetup) => void): StateHandler =>
    () => {
      change(setup);
      return Promise.resolve();
    };
  return {
    provider,
    states: {
      [shopStates.customerIsPremium]: state((current) => (current.tier = 'premium')),
      [shopStates.stockIsInsufficient]: state((current) => (current.stockShort = true)),
      [shopStates.cardIsDeclined]: state((current) => (current.declined = true)),
      [shopStates.refundsAreRefused]: state((current) => (current.refundRefused = true)),
    },
    async produce(eventType) {
      const current = setup;
      setup = defaultSetup();
      const definition = shopCatalog.get(eventType);
      if (!definition) throw new Error(`${provider}: unknown event type ${eventType}`);
      if (definition.producer !== provider) {
        throw new Error(`${eventType} is produced by ${definition.producer}, not by ${provider}`);
      }
      return runShopUntil(eventType, current, options.rewriteOutbox, options.amendMessage);
    },
  };
}

function defaultSetup(): ShopSetup {
  return { tier: 'standard', stockShort: false, declined: false, refundRefused: false };
}

async function runShopUntil(
  eventType: string,
  setup: ShopSetup,
  rewrite: ((record: NewOutboxRecord) => NewOutboxRecord) | undefined,
  amend: ((message: OutgoingMessage) => OutgoingMessage) | undefined,
): Promise<ProducedMessage> {
  const clock = manualClock(Date.UTC(2026, 0, 1, 12));
  const memory = new MemoryStore({ clock: clock.now });
  const store: Store = rewrite ? withOutboxRewrite(memory, rewrite) : memory;
  const shop = createShopProcessors({
    store,
    clock: clock.now,
    ids: seededIds(7),
    gatewayRules: {
      ...(setup.declined ? { declines: [{ reason: 'declined' as const }] } : {}),
      ...(setup.refundRefused ? { refundFailures: [{ reason: 'gateway refused refund' }] } : {}),
    },
  });
  try {
    await shop.seed({
      customers: [{ customerId, tier: setup.tier, email: 'ada@example.com' }],
      stock: { [sku]: setup.stockShort ? 1 : 10 },
    });
    await shop.placeOrder({
      customerId,
      items: [{ sku, quantity: 2, unitPrice: { amountMinor: 1250, currency: 'EUR' } }],
      shippingAddress: exampleShippingAddress,
      fraudScore: 0.05,
    });
    // Deliver each outbox row to its consumers' real processors, in order, until the wanted row appears.
    for (let delivered = 0; ; delivered++) {
      const rows: OutboxRecord[] = await store.outbox();
      const wanted = rows.find((row) => row.eventType === eventType);
      if (wanted) return producedBy(wanted, amend);
      const next = rows[delivered];
      if (!next) {
        const seen = rows.map((row) => row.eventType).join(' → ');
        throw new Error(
          `the shop never wrote ${eventType} with setup ${JSON.stringify(setup)} (wrote ${seen})`,
        );
      }
      for (const consumer of consumersOf(next.eventType)) {
        await shop.processors[consumer].process({ body: next.body });
      }
    }
  } finally {
    await store.close();
  }
}

/** What the outbox relay would publish for `row` (its real `toMessage`): body, routing key, content type. */
function producedBy(
  row: OutboxRecord,
  amend: ((message: OutgoingMessage) => OutgoingMessage) | undefined,
): ProducedMessage {
  const message = amend ? amend(toMessage(row)) : toMessage(row);
  return {
    body: Buffer.from(message.body).toString('utf8'),
    routingKey: message.routingKey,
    ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
  };
}

/** Every producer of the shop as a pact provider (what `troupe contracts verify` runs by default). */
export function providerTargets(): MessageProviderTarget[] {
  return (['orders', 'payments', 'inventory', 'shipping'] as const).map((provider) =>
    shopProviderTarget(provider),
  );
}
