import type { TroupeConfig } from './config-schema';

/**
 * Types a target manifest (`troupe.config.ts`) so editors complete and check it; returns it unchanged. The
 * loader validates it again at run time (JSON and YAML manifests get the same checks).
 *
 * ```ts
 * // troupe.config.ts
 * import { defineConfig, invariant } from 'troupe';
 * export default defineConfig({
 *   broker: { exchanges: [{ name: 'ecommerce', type: 'fanout' }] },
 *   services: {
 *     payments: { command: 'node', args: ['payments.js'], ready: { log: 'listening', timeout: '10s' } },
 *   },
 *   adapter: { json: { type: 'event', key: 'data.orderId' } },
 *   flows: {
 *     order: {
 *       start: { publish: { exchange: 'ecommerce', body: { event: 'OrderPlaced', data: { orderId: '{{flow.key}}' } } } },
 *       key: 'data.orderId',
 *       terminal: ['OrderShipped', 'OrderCancelled'],
 *       invariants: [invariant.atMostOne('PaymentProcessed').per('data.orderId')],
 *     },
 *   },
 * });
 * ```
 */
export function defineConfig(config: TroupeConfig): TroupeConfig {
  return config;
}
