import type { ShippingAddress } from '../events/common';
import { collection } from '../kit/collection';

/** A scheduled shipment (key: shipmentId). */
export interface ShipmentRecord {
  readonly shipmentId: string;
  readonly orderId: string;
  readonly items: readonly { readonly sku: string; readonly quantity: number }[];
  readonly shippingAddress: ShippingAddress;
  readonly serviceLevel: 'standard' | 'express';
  readonly estimatedDelivery: string;
  readonly scheduledAt: string;
}

/** Keyed by shipmentId. */
export const shipments = collection<ShipmentRecord>('shipping.shipments');
