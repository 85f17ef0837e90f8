import { shopCatalog, type ShopEventType } from './events/catalog';
import { inventoryService } from './inventory/handlers';
import { notificationsService } from './notifications/handlers';
import { ordersService } from './orders/handlers';
import { defaultPaymentsConfig } from './payments/config';
import { PaymentGateway, type GatewayRules } from './payments/gateway';
import { paymentsService } from './payments/handlers';
import { defaultShippingConfig, type ShippingConfig } from './shipping/config';
import { shippingService } from './shipping/handlers';
import { consumedEventTypes, type ServiceDefinition } from './kit/service-definition';
import type { Store } from './kit/store';
import { MemoryStore } from './kit/memory-store';
import { ServiceError } from './kit/errors';

/** The five services of the reference shop. */
export type ServiceName = 'orders' | 'payments' | 'inventory' | 'shipping' | 'notifications';

/** The five services, in flow order. */
export const serviceNames: readonly ServiceName[] = [
  'orders',
  'payments',
  'inventory',
  'shipping',
  'notifications',
];

/** Parses a service name; throws naming the known ones. */
export function parseServiceName(name: string): ServiceName {
  const found = serviceNames.find((known) => known === name);
  if (!found)
    throw new ServiceError('invalid-config', `Unknown service "${name}". Known: ${serviceNames.join(', ')}`);
  return found;
}

/** Configuration shared by the services (each service reads its part). */
export interface ShopConfig {
  readonly gatewayRules?: GatewayRules;
  readonly fraudThreshold?: number;
  readonly shipping?: ShippingConfig;
}

/** The service definitions on `store`, plus the gateway simulator payments uses (its ledger lives in `store`). */
export function createServices(
  store: Store,
  config: ShopConfig = {},
): {
  readonly definitions: Readonly<Record<ServiceName, ServiceDefinition>>;
  readonly gateway: PaymentGateway;
} {
  const gateway = new PaymentGateway(store, config.gatewayRules ?? defaultPaymentsConfig.gatewayRules);
  return {
    gateway,
    definitions: {
      orders: ordersService(),
      payments: paymentsService({
        gateway,
        fraudThreshold: config.fraudThreshold ?? defaultPaymentsConfig.fraudThreshold,
      }),
      inventory: inventoryService(),
      shipping: shippingService(config.shipping ?? defaultShippingConfig),
      notifications: notificationsService(),
    },
  };
}

/** Which event types each service consumes (from its handlers: one source of truth). */
export const consumedBy: Readonly<Record<ServiceName, readonly ShopEventType[]>> = (() => {
  // Handlers are only listed here, never run: a throwaway memory store backs the unused gateway.
  const { definitions } = createServices(new MemoryStore());
  const result = {} as Record<ServiceName, readonly ShopEventType[]>;
  for (const name of serviceNames) result[name] = consumedEventTypes(definitions[name]);
  return result;
})();

/** The routing keys a service's queue is bound to. */
export function routingKeysOf(service: ServiceName): string[] {
  return consumedBy[service].map((type) => shopCatalog.require(type).routingKey);
}

/** The services that consume `eventType` (a simulator's routing table). */
export function consumersOf(eventType: string): ServiceName[] {
  return serviceNames.filter((name) => (consumedBy[name] as readonly string[]).includes(eventType));
}
