import { shopCatalog, terminalEventTypes } from '../reference-services/events/catalog';
import type { LoadScenarioOptions } from '../harness/scenario/load-scenario';
import type { ScenarioVocabulary } from '../harness/scenario/scenario-schema';

/** The five reference services, as fault targets. */
export const shopServices = ['orders', 'payments', 'inventory', 'shipping', 'notifications'] as const;

/** What the shop's scenarios may name: its event catalog and its services. */
export const shopVocabulary: ScenarioVocabulary = {
  eventTypes: shopCatalog.types(),
  services: shopServices,
  orderStatuses: ['placed', 'paid', 'reserved', 'shipped', 'cancelled', 'needs_attention'],
  terminalEventTypes,
};

/** Loader options for the shop: vocabulary plus payload schemas for `when.publish`. */
export const shopLoadOptions: LoadScenarioOptions = {
  vocabulary: shopVocabulary,
  payloadSchema: (eventType) => shopCatalog.get(eventType)?.payload,
};
