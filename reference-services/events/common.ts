import { z } from 'zod';

/** Money in integer minor units (cents) and an ISO 4217 currency: never floats. */
export const money = z.object({
  amountMinor: z.number().int().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code'),
});
/** Money as parsed. */
export type Money = z.output<typeof money>;

/** A stock-keeping unit code. */
export const sku = z.string().regex(/^[A-Z0-9-]{3,32}$/, 'SKU: 3-32 of A-Z, 0-9, -');

/** One ordered item: SKU, quantity and unit price. */
export const lineItem = z.object({
  sku,
  quantity: z.number().int().positive(),
  unitPrice: money,
});
/** A line item as parsed. */
export type LineItem = z.output<typeof lineItem>;

/** One reserved item: SKU and quantity (no price). */
export const reservedItem = z.object({ sku, quantity: z.number().int().positive() });

/** What every event about an order carries of its customer, so consumers never call back. */
export const customer = z.object({
  customerId: z.uuid(),
  tier: z.enum(['standard', 'premium']),
  email: z.email(),
  isFirstOrder: z.boolean(),
});
/** A customer as parsed. */
export type Customer = z.output<typeof customer>;

/** A postal address (no other personal data travels in events). */
export const shippingAddress = z.object({
  name: z.string().min(1),
  line1: z.string().min(1),
  line2: z.string().min(1).nullable(),
  city: z.string().min(1),
  postalCode: z.string().min(1),
  country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country'),
});
/** A shipping address as parsed. */
export type ShippingAddress = z.output<typeof shippingAddress>;

/** The one address the shop's examples, demo, verification shop and tests ship to. */
export const exampleShippingAddress: ShippingAddress = {
  name: 'Ada Lovelace',
  line1: '12 St James Square',
  line2: null,
  city: 'London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
};
