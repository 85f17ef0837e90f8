import { describeScenarios } from '../../harness/scenario/jest-scenarios';
import { shopScenarioSuite } from '../../reference-services/target/shop-target';

// Every scenarios/*.scenario.yaml becomes a concurrent test against the reference services on RabbitMQ + PostgreSQL,
// a run with faults through a chaos proxy of its own (the services connect through it; it applies the faults).
describeScenarios('scenarios', shopScenarioSuite());
