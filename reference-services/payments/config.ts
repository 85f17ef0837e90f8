import type { GatewayRules } from './gateway';

/** Configuration of the payments service. */
export interface PaymentsConfig {
  /** Orders with a fraud score strictly above this fail with `fraud_suspected` without a charge. */
  readonly fraudThreshold: number;
  readonly gatewayRules: GatewayRules;
}

/** Fraud threshold 0.8, a gateway that approves everything. */
export const defaultPaymentsConfig: PaymentsConfig = { fraudThreshold: 0.8, gatewayRules: {} };
