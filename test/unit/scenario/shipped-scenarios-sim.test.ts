import { describeScenarios } from '../../../harness/scenario/jest-scenarios';
import { shopScenarioSuite } from '../../../reference-services/target/shop-target';

// Every shipped scenario also passes in deterministic simulation (in-memory transport and store): `troupe
// scenarios --sim`, and what `npm start` falls back to on a machine without a broker.
describeScenarios('scenarios', shopScenarioSuite({ mode: 'sim' }));
