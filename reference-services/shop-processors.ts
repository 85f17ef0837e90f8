import type { KnownBug } from './kit/bugs';
import { parseConfig } from './kit/parse-config';
import type { CrashHook } from './kit/crash-points';
import { randomIds, systemClock, type Clock, type IdGenerator } from './kit/determinism';
import type { RetryPolicy } from './kit/retry-policy';
import { ServiceProcessor } from './kit/service-processor';
import type { Store } from './kit/store';
import { placeOrder, seedCustomers, type PlaceOrderCommand, type PlacedOrder } from './orders/place-order';
import { seedStock } from './inventory/handlers';
import type { PaymentGateway } from './payments/gateway';
import { z } from 'zod';
import { shippingAddress, type ShippingAddress } from './events/common';
import type { CustomerRecord } from './orders/state';
import { createServices, serviceNames, type ServiceName, type ShopConfig } from './services';

/** What to seed: stock per SKU, customers with tier and email. */
export interface ShopSeed {
  readonly stock?: Readonly<Record<string, number>>;
  readonly customers?: readonly {
    readonly customerId: string;
    readonly tier: CustomerRecord['tier'];
    readonly email: string;
    readonly address?: ShippingAddress | null;
  }[];
}

/** A seed as JSON (CLI `--seed`): validated, with a path on error. */
export const shopSeedSchema = z.strictObject({
  stock: z.record(z.string(), z.number().int().nonnegative()).optional(),
  customers: z
    .array(
      z.strictObject({
        customerId: z.string().min(1),
        tier: z.enum(['standard', 'premium']),
        email: z.email(),
        address: shippingAddress.nullable().optional(),
      }),
    )
    .optional(),
});

/** Parses a seed from JSON data; throws `invalid-config` naming the bad field. */
export function parseShopSeed(data: unknown, source = 'seed'): ShopSeed {
  return parseConfig<ShopSeed>(shopSeedSchema, data, source);
}

/** Options of `createShopProcessors`. */
export interface ShopProcessorsOptions extends ShopConfig {
  readonly store: Store;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly bugs?: Iterable<KnownBug>;
  readonly crashHook?: CrashHook;
  readonly retry?: RetryPolicy;
}

/** The whole shop without a transport: one processor per service over one store, plus the order command. */
export interface ShopProcessors {
  readonly store: Store;
  readonly gateway: PaymentGateway;
  readonly processors: Readonly<Record<ServiceName, ServiceProcessor>>;
  /** Places an order (orders service command): order row + OrderPlaced in the outbox, one transaction. */
  placeOrder(command: PlaceOrderCommand): Promise<PlacedOrder>;
  seed(seed: ShopSeed): Promise<void>;
}

/**
 * Builds the five processors on one store with shared, injectable clock and ids: what the fuzz simulator drives
 * deterministically, and what `startShop` binds to a transport.
 */
export function createShopProcessors(options: ShopProcessorsOptions): ShopProcessors {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const bugs = new Set(options.bugs ?? []);
  const { definitions, gateway } = createServices(store, options);
  const processors = {} as Record<ServiceName, ServiceProcessor>;
  for (const name of serviceNames) {
    processors[name] = new ServiceProcessor({
      service: definitions[name],
      store,
      clock,
      ids,
      bugs,
      ...(options.crashHook ? { crashHook: options.crashHook } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }
  return {
    store,
    gateway,
    processors,
    placeOrder: (command) => placeOrder({ store, clock, ids, bugs }, command),
    async seed(seed) {
      if (seed.customers) await seedCustomers({ store }, seed.customers);
      if (seed.stock) await seedStock(store, seed.stock);
    },
  };
}
