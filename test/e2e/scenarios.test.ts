import { describeScenarios } from '../../harness/scenario/jest-scenarios';
import { shopScenarioSuite } from '../../reference-services/target/shop-target';

// Every scenarios/*.scenario.yaml becomes a concurrent test against the reference services on RabbitMQ + PostgreSQL.
describeScenarios('scenarios', shopScenarioSuite());
