import type { ServiceDefinition } from '../kit/service-definition';
import { defaultShippingConfig, type ShippingConfig } from './config';
import { shipments } from './state';

const dayMs = 86_400_000;

/** The shipping service: schedules a shipment for every reservation; premium customers get express. */
export function shippingService(config: ShippingConfig = defaultShippingConfig): ServiceDefinition {
  return {
    name: 'shipping',
    handlers: {
      InventoryReserved: async (event, context) => {
        const { orderId, items, customer, shippingAddress } = event.payload;
        const serviceLevel = customer.tier === 'premium' ? 'express' : 'standard';
        const days = serviceLevel === 'express' ? config.expressDays : config.standardDays;
        const now = context.now();
        const estimatedDelivery = new Date(now.getTime() + days * dayMs).toISOString().slice(0, 10);
        const shipmentId = context.newId();
        await context.tx.put(shipments, shipmentId, {
          shipmentId,
          orderId,
          items,
          shippingAddress,
          serviceLevel,
          estimatedDelivery,
          scheduledAt: now.toISOString(),
        });
        context.emit('ShipmentScheduled', {
          orderId,
          shipmentId,
          items,
          shippingAddress,
          customer,
          serviceLevel,
          estimatedDelivery,
        });
      },
    },
  };
}
