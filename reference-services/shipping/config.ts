/** Configuration of the shipping service. */
export interface ShippingConfig {
  readonly standardDays: number;
  readonly expressDays: number;
}

/** Standard delivery in 3 days, express in 1. */
export const defaultShippingConfig: ShippingConfig = { standardDays: 3, expressDays: 1 };
