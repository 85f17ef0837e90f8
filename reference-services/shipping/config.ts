/** Configuration of the shipping service. */
export interface ShippingConfig {
  readonly standardDays: number;
  readonly expressDays: number;
}

export const defaultShippingConfig: ShippingConfig = { standardDays: 3, expressDays: 1 };
