import { z } from 'zod';
import { lineItem, shippingAddress, type LineItem, type ShippingAddress } from '../events/common';
import { ServiceError } from '../kit/errors';
import { runCommand, type CommandDeps } from '../kit/run-command';
import type { ShopEvent } from '../events/catalog';
import { customers, orders, type CustomerRecord } from './state';

/** The storefront's command. Customer details (tier, email) come from the orders service's own records. */
export interface PlaceOrderCommand {
  /** Chosen by the caller for idempotent retries; new uuid otherwise. */
  readonly orderId?: string;
  readonly customerId: string;
  readonly items: readonly LineItem[];
  /** Defaults to the customer's address. */
  readonly shippingAddress?: ShippingAddress;
  /** 0..1 from the storefront's risk check; default 0.01. */
  readonly fraudScore?: number;
  /** Joins an existing flow id (tests); new otherwise. */
  readonly correlationId?: string;
}

const commandSchema = z.object({
  orderId: z.uuid().optional(),
  customerId: z.string().min(1),
  items: z.array(lineItem).min(1),
  shippingAddress: shippingAddress.optional(),
  fraudScore: z.number().min(0).max(1).optional(),
  correlationId: z.uuid().optional(),
});

/** The result of placing an order. */
export interface PlacedOrder {
  readonly orderId: string;
  readonly correlationId: string;
  /** `false` when `orderId` already existed (a retried command): nothing new was written. */
  readonly created: boolean;
  readonly emitted: readonly ShopEvent[];
}

/**
 * Places an order: the order row and OrderPlaced commit together (outbox), so the flow starts exactly when the order
 * exists. Throws `ServiceError` `invalid-command` / `unknown-customer` naming what is wrong.
 */
export async function placeOrder(deps: CommandDeps, command: PlaceOrderCommand): Promise<PlacedOrder> {
  const parsed = commandSchema.safeParse(command);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServiceError(
      'invalid-command',
      `placeOrder: invalid command at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'unknown problem'}`,
      { cause: parsed.error },
    );
  }
  const input = parsed.data;
  const currency = input.items[0]?.unitPrice.currency ?? 'EUR';
  const mixed = input.items.find((item) => item.unitPrice.currency !== currency);
  if (mixed) {
    throw new ServiceError(
      'invalid-command',
      `placeOrder: item ${mixed.sku} is priced in ${mixed.unitPrice.currency}, the order in ${currency}`,
    );
  }
  const { result, emitted, correlationId } = await runCommand(
    { ...deps, service: 'orders', ...(input.correlationId ? { correlationId: input.correlationId } : {}) },
    async (context, flow) => {
      const orderId = input.orderId ?? context.newId();
      const existing = await context.tx.get(orders, orderId);
      if (existing) return { orderId, created: false, correlationId: existing.correlationId };
      const customer: CustomerRecord | undefined = await context.tx.get(customers, input.customerId, {
        forUpdate: true,
      });
      if (!customer) {
        throw new ServiceError(
          'unknown-customer',
          `placeOrder: unknown customer "${input.customerId}" (seed it first)`,
        );
      }
      const address = input.shippingAddress ?? customer.address;
      if (!address) {
        throw new ServiceError(
          'invalid-command',
          `placeOrder: no shippingAddress given and customer ${customer.customerId} has none`,
        );
      }
      const buyer = {
        customerId: customer.customerId,
        tier: customer.tier,
        email: customer.email,
        isFirstOrder: customer.orderCount === 0,
      };
      const total = {
        amountMinor: input.items.reduce((sum, item) => sum + item.quantity * item.unitPrice.amountMinor, 0),
        currency,
      };
      const now = context.now().toISOString();
      const fraudScore = input.fraudScore ?? 0.01;
      const inserted = await context.tx.insert(orders, orderId, {
        orderId,
        correlationId: flow.correlationId,
        status: 'placed',
        customer: buyer,
        items: input.items,
        total,
        shippingAddress: address,
        fraudScore,
        reason: null,
        placedAt: now,
        updatedAt: now,
      });
      if (!inserted) {
        // The same orderId was placed concurrently and committed after the check above (the insert waited for
        // it): that order stands, and this command writes nothing — a second OrderPlaced would charge twice.
        const winner = await context.tx.get(orders, orderId);
        return { orderId, created: false, correlationId: winner?.correlationId ?? flow.correlationId };
      }
      await context.tx.put(customers, customer.customerId, {
        ...customer,
        orderCount: customer.orderCount + 1,
      });
      context.emit('OrderPlaced', {
        orderId,
        customer: buyer,
        items: input.items,
        total,
        shippingAddress: address,
        fraudScore,
      });
      return { orderId, created: true, correlationId: flow.correlationId };
    },
  );
  return { ...result, correlationId: result.created ? correlationId : result.correlationId, emitted };
}

/** Seeds (or replaces) customers of the orders service. */
export async function seedCustomers(
  deps: Pick<CommandDeps, 'store'>,
  list: readonly {
    readonly customerId: string;
    readonly tier: CustomerRecord['tier'];
    readonly email: string;
    readonly address?: ShippingAddress | null;
  }[],
): Promise<void> {
  await deps.store.transaction(async (tx) => {
    for (const customer of list) {
      const existing = await tx.get(customers, customer.customerId, { forUpdate: true });
      await tx.put(customers, customer.customerId, {
        customerId: customer.customerId,
        tier: customer.tier,
        email: customer.email,
        address: customer.address ?? null,
        orderCount: existing?.orderCount ?? 0,
      });
    }
  });
}
