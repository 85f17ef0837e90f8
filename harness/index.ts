/**
 * Troupe's public entry point. Explicit export lists only (no `export *`): what is not listed here is internal and
 * may change. Each concept folder keeps its own list (`observe/index.ts`, `assert/index.ts`, `fuzz/index.ts`, …);
 * this file is the one place a user imports from.
 */

// Config: the target manifest (troupe.config.ts) — defineConfig types it, loadConfig reads and validates it.
export { defineConfig } from './config/define-config';
export { CONFIG_FILE_NAMES, findConfigFile, loadConfig } from './config/load-config';
export { configJsonSchema } from './config/config-json-schema';
export type { LoadedConfig } from './config/load-config';
export { ConfigError } from './config/config-error';
export type { ConfigErrorCode, ConfigIssue } from './config/config-error';
export type {
  AdapterConfig,
  ExchangeConfig,
  FlowConfig,
  ResolvedTroupeConfig,
  ServiceConfig,
  TroupeConfig,
} from './config/config-schema';

// Target: the port every runner talks to, and its maker from a manifest (services as processes).
export { targetFromConfig } from './target/config-target';
export { terminalTypesOf, invariantsOf, INJECTED_HEADER } from './target/target';
export type {
  ServiceExit,
  ServiceOutputLine,
  ServiceRouter,
  StartedFlow,
  StartedTarget,
  Target,
  TargetCapability,
  TargetContext,
  TargetExchange,
  TargetFlow,
  TargetService,
} from './target/target';
export { TargetError } from './target/target-error';
export type { TargetErrorCode } from './target/target-error';

// Events: envelope, definitions, catalog, black-box envelope adapters.
export { envelopeSchema } from './events/envelope';
export type { Envelope } from './events/envelope';
export { defineEvent } from './events/define-event';
export type { EventDefinition, EventVersion, PayloadOf } from './events/define-event';
export { EventCatalog } from './events/event-catalog';
export type { Causation, DecodeResult, EventOf } from './events/event-catalog';
export { EventDecodeError } from './events/decode-error';
export type { DecodeError, DecodeErrorCode } from './events/decode-error';
export { newEventId } from './events/event-id';
export { troupeEnvelopeAdapter } from './events/envelope-adapter';
export { cloudEventsAdapter } from './events/cloudevents-adapter';
export { amqpPropertiesAdapter } from './events/amqp-properties-adapter';
export { jsonPathsAdapter } from './events/json-paths-adapter';
export type { JsonPathsAdapterOptions } from './events/json-paths-adapter';
export { syntheticEventId } from './events/synthetic-event-id';
export type { AdaptedMessage, EnvelopeAdapter, EventIdentity } from './events/envelope-adapter';

// Transport: the port, RabbitMQ, and the deterministic in-memory adapter.
export { matchesRoutingKey } from './transport/transport';
export type {
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  DeliveryOutcome,
  OutgoingMessage,
  QueueSpec,
  Subscription,
  Topology,
  Transport,
} from './transport/transport';
export { deadLetterQueueName } from './transport/dead-letter';
export { AmqpTransport, DEFAULT_AMQP_URL } from './transport/amqp/amqp-transport';
export type {
  AmqpTransportOptions,
  ConnectionState,
  ConnectionStateEvent,
} from './transport/amqp/amqp-transport';
export { AmqpTransportError } from './transport/amqp/amqp-transport-error';
export type { AmqpTransportErrorCode } from './transport/amqp/amqp-transport-error';
export { connectionName, ownConnectionPrefix } from './transport/amqp/connection-name';
export { closeOwnConnections, listConnections } from './transport/amqp/rabbitmqctl';
export {
  InMemoryTransport,
  InMemoryTransportError,
  type DeliverOptions,
  type DeliveryStep,
  type DriveMode,
  type InMemoryTransportOptions,
  type InMemoryTransportStats,
  type PendingMessage,
} from './transport/memory/index';

// Infrastructure: env URL → local server → Testcontainers → in-memory / PGlite.
export { acquireInfrastructure, describeInfrastructure } from './infra/acquire-infrastructure';
export type { AcquireOptions, StartedInfrastructure } from './infra/acquire-infrastructure';
export { chooseInfrastructure } from './infra/infrastructure-choice';
export type { InfrastructureChoice, InfrastructureProbes } from './infra/infrastructure-choice';
export { InfraError } from './infra/infra-error';
export { maskUrl } from './infra/mask-url';

// Contracts without Pact's types: zod → pact rules, compatibility, AsyncAPI, lint, the broker CLI. Consumer pacts
// and provider verification (their signatures name @pact-foundation/pact types, an optional dependency) are in
// `troupe/contracts` (harness/contracts/index.ts), with all of the above.
export { zodToPact, jsonSchemaToPact } from './contracts/pact-rules/zod-to-pact';
export type { ContractLooseness, PactBodyContract } from './contracts/pact-rules/types';
export { validInstances } from './contracts/instances/valid-instances';
export { eventMessageContract, eventMessageSchema } from './contracts/pact/event-message';
export { checkCompatibility } from './contracts/compat/check-compatibility';
export type {
  BreakingChange,
  CompatibilityMode,
  CompatibilityReport,
} from './contracts/compat/check-compatibility';
export { compareCatalogWithSnapshots, formatCompatibilityReport } from './contracts/compat/compare-catalog';
export { readSnapshots, writeSnapshots } from './contracts/compat/schema-snapshots';
export { generateAsyncApi } from './contracts/asyncapi/generate-asyncapi';
export { validateAsyncApi } from './contracts/asyncapi/validate-asyncapi';
export { lintCatalog } from './contracts/lint/lint-catalog';
export { canIDeploy, publishPacts, recordDeployment } from './contracts/broker/pact-broker-cli';
export { brokerFromEnv } from './contracts/broker/broker-config';
export type { BrokerConfig } from './contracts/broker/broker-config';
export { ciContext } from './contracts/broker/ci-context';
export { ContractError } from './contracts/contract-error';
export type { ContractErrorCode } from './contracts/contract-error';

// Observe: tap, event log, correlation graph, renderers, accounting, event store.
export {
  EventLog,
  startTap,
  recordingHandler,
  startFirehoseTap,
  startSystemTap,
  countPublications,
  isInjectedMessage,
  CorrelationGraph,
  renderTimeline,
  renderMermaid,
  renderHtmlReport,
  accountFlows,
  renderAccounting,
  PgEventStore,
  traceFlow,
  ObserveError,
  type AccountingReport,
  type FlowAccount,
  type ObservedEvent,
  type StartedTap,
  type TapOptions,
  type StartedSystemTap,
  type SystemTapOptions,
  type Publication,
  type PublicationCount,
} from './observe/index';

// Assert: push-based eventual / negative assertions and Jest matchers.
export {
  flow,
  Flow,
  eventually,
  holdsFor,
  quiescent,
  flowMatchers,
  FlowAssertionError,
  type AssertionCode,
  type FlowMatchers,
} from './assert/index';

// Fuzz: delivery schedules as data, deterministic simulation, broker chaos, user handler fuzzing.
export {
  fuzzSimulation,
  assertFuzzSimulation,
  parseReplayToken,
  FuzzViolationError,
  simulate,
  scheduleArbitrary,
  invariant,
  formatFuzzReport,
  fuzzHandler,
  HandlerFuzzError,
  fuzzBroker,
  startBrokerChaos,
  type FuzzReport,
  type FuzzSimulationOptions,
  type FuzzHandlerOptions,
  type Invariant,
  type Schedule,
  type SimTarget,
  type BrokerTarget,
  type BrokerFuzzOptions,
  type BrokerFuzzReport,
} from './fuzz/index';

// Chaos: the AMQP 0-9-1 proxy — real faults between any service and RabbitMQ, plans as data, a control API.
export {
  startChaosProxy,
  startControlApi,
  ChaosError,
  describeChaosFault,
  formatChaosPlan,
  parseChaosFault,
  parseChaosPlan,
  parseSchedule,
  planFromSchedule,
  chaosPlanArbitrary,
  randomChaosPlan,
  renderFaultLog,
  type ChaosErrorCode,
  type ChaosFault,
  type ChaosFaultKind,
  type ChaosListener,
  type ChaosPlan,
  type ChaosPlanShape,
  type ChaosProxyOptions,
  type ConnectionView,
  type ConsumerView,
  type ConvertedPlan,
  type CutHow,
  type CutTrigger,
  type FaultLogEntry,
  type FaultSelection,
  type MessageMatch,
  type ScheduleMapping,
  type StartedChaosProxy,
  type StartedControlApi,
} from './chaos/index';

// Scenarios: specs, runner, Jest integration, reports.
export { runScenario } from './scenario/run-scenario';
export type { RunScenarioOptions } from './scenario/run-scenario';
export { runScenarios } from './scenario/run-scenarios';
export { assertScenario, ScenarioFailedError } from './scenario/assert-scenario';
export { describeScenarios, scenarioSuite } from './scenario/jest-scenarios';
export type { ScenarioSuite } from './scenario/jest-scenarios';
export { parseScenario, loadScenarioFile, scenarioLoadOptions } from './scenario/load-scenario';
export { findScenarioFiles } from './scenario/find-scenario-files';
export { createScenarioSchema } from './scenario/scenario-schema';
export type { ScenarioSpec, ScenarioStep, ScenarioFault, ScenarioProbe } from './scenario/scenario-schema';
export { scenarioVocabularyOf } from './scenario/scenario-vocabulary';
export type { ScenarioVocabulary, VocabularyOptions } from './scenario/scenario-vocabulary';
export { scenarioJsonSchema } from './scenario/scenario-json-schema';
export { ScenarioSpecError } from './scenario/scenario-spec-error';
export { FaultInjector } from './scenario/fault-injector';
export { renderScenarioReport } from './scenario/scenario-report';
export type { ScenarioReport } from './scenario/scenario-report';
export { renderJUnitReport } from './scenario/junit-report';
export { proxyChaos } from './scenario/proxy-chaos';
export type { ScenarioChaos, ScenarioChaosFactory } from './scenario/scenario-chaos';
export { emulateCuts } from './scenario/emulated-cut';
export { ScenarioRunError } from './scenario/scenario-run-error';
