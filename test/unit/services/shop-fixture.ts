import { shopCatalog, type ShopEvent } from '../../../reference-services/events/catalog';
import { exampleShippingAddress, type LineItem } from '../../../reference-services/events/common';
import { manualClock, seededIds } from '../../../reference-services/kit/determinism';
import { MemoryStore } from '../../../reference-services/kit/memory-store';
import type { ProcessOutcome } from '../../../reference-services/kit/service-processor';
import type { ServiceName } from '../../../reference-services/services';
import { consumersOf } from '../../../reference-services/services';
import {
  createShopProcessors,
  type ShopProcessors,
  type ShopProcessorsOptions,
} from '../../../reference-services/shop-processors';
import { processToEnd } from '../../../reference-services/verification';

/** The address every fixture customer ships to. */
export const address = exampleShippingAddress;

export const customers = {
  ada: '0192f5a0-7c1e-7a3b-8d4e-00000000000a',
  bob: '0192f5a0-7c1e-7a3b-8d4e-00000000000b',
  premium: '0192f5a0-7c1e-7a3b-8d4e-00000000000c',
} as const;

export function items(sku: string, quantity: number, amountMinor = 1000): LineItem[] {
  return [{ sku, quantity, unitPrice: { amountMinor, currency: 'EUR' } }];
}

/** A shop on a MemoryStore with deterministic ids and clock, seeded with three customers and some stock. */
export async function memoryShop(
  options: Omit<ShopProcessorsOptions, 'store'> & { readonly seed?: number } = {},
): Promise<ShopProcessors & { readonly store: MemoryStore }> {
  const clock = manualClock();
  const store = new MemoryStore({ clock: clock.now });
  const shop = createShopProcessors({
    clock: clock.now,
    ids: seededIds(options.seed ?? 1),
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
    ...options,
    store,
  });
  await shop.seed({
    customers: [
      { customerId: customers.ada, tier: 'standard', email: 'ada@example.com', address },
      { customerId: customers.bob, tier: 'standard', email: 'bob@example.com', address },
      { customerId: customers.premium, tier: 'premium', email: 'vip@example.com', address },
    ],
    stock: { 'BOOK-001': 10, 'PEN-002': 3 },
  });
  return { ...shop, store };
}

/** One processed delivery, for assertions. */
export interface Processed {
  readonly service: ServiceName;
  readonly body: string;
  readonly outcome: ProcessOutcome;
}

/**
 * Relays the outbox to every consumer until nothing is left (a tiny in-process choreography). `duplicate`
 * delivers every message twice. Returns every event published, in order, and every processing outcome.
 */
export async function drain(
  shop: ShopProcessors,
  options: { readonly duplicate?: boolean } = {},
): Promise<{ events: ShopEvent[]; processed: Processed[] }> {
  const events: ShopEvent[] = [];
  const processed: Processed[] = [];
  for (let round = 0; round < 100; round++) {
    const count = await shop.store.relayOutbox(100, async (rows) => {
      for (const row of rows) {
        events.push(shopCatalog.decodeOrThrow(row.body));
        for (const service of consumersOf(row.eventType)) {
          const times = options.duplicate ? 2 : 1;
          for (let i = 0; i < times; i++) {
            const outcome = await processWithRetries(shop, service, row.body);
            processed.push({ service, body: row.body, outcome });
          }
        }
      }
      return rows.map((row) => row.id);
    });
    if (count === 0) return { events, processed };
  }
  throw new Error('drain: the choreography did not quiesce in 100 rounds');
}

/** Processes one message, retrying `retry` outcomes at once (virtual time). */
export const processWithRetries = processToEnd;

export function types(events: readonly ShopEvent[]): string[] {
  return events.map((event) => event.eventType);
}
