/**
 * `troupe/contracts`: zod → pact rules, consumer pacts, provider verification, the Pact Broker workflow,
 * compatibility checks, AsyncAPI and lint. Explicit list. Pact, its CLI and the AsyncAPI parser are optional
 * dependencies, loaded when a function here first needs them.
 */
export { zodToPact, jsonSchemaToPact } from './pact-rules/zod-to-pact';
export type { ContractLooseness, PactBodyContract } from './pact-rules/types';
export { validInstances } from './instances/valid-instances';
export { eventMessageContract, eventMessageSchema } from './pact/event-message';
export { addEventInteraction } from './pact/event-interaction';
export type { EventInteractionSpec, ProviderStateSpec } from './pact/event-interaction';
export { eventInteractionName, verifyProviderTarget } from './pact/message-provider-target';
export type { MessageProviderTarget, ProducedMessage } from './pact/message-provider-target';
export {
  assertProviderVerified,
  consumerVersionSelectors,
  verifyMessageProvider,
} from './pact/verify-message-provider';
export type { MessageVerificationOptions, VerificationReport } from './pact/verify-message-provider';
export { checkCompatibility } from './compat/check-compatibility';
export type { BreakingChange, CompatibilityMode, CompatibilityReport } from './compat/check-compatibility';
export { compareCatalogWithSnapshots, formatCompatibilityReport } from './compat/compare-catalog';
export { readSnapshots, writeSnapshots } from './compat/schema-snapshots';
export { generateAsyncApi } from './asyncapi/generate-asyncapi';
export { validateAsyncApi } from './asyncapi/validate-asyncapi';
export { lintCatalog } from './lint/lint-catalog';
export { canIDeploy, publishPacts, recordDeployment } from './broker/pact-broker-cli';
export { brokerFromEnv } from './broker/broker-config';
export type { BrokerConfig } from './broker/broker-config';
export { ciContext } from './broker/ci-context';
export { canIDeployAll, formatDeployTable } from './broker/can-i-deploy-all';
export type { CanIDeployAllOptions, DeployVerdict } from './broker/can-i-deploy-all';
export { explainBrokerFailure, formatBrokerHint } from './broker/explain-broker-failure';
export type { BrokerFailureHint } from './broker/explain-broker-failure';
export type { PublicationFailure } from './broker/verification-results';
export type { PublicationReport } from './pact/verify-message-provider';
export { eventMessageMetadata } from './pact/event-message';
export { startTrafficRecorder } from './record/record-traffic';
export type { RecordedMessage, RecordTrafficOptions, TrafficRecorder } from './record/record-traffic';
export { pactsFromTraffic, recordedPactFile, writeRecordedPacts } from './record/pacts-from-traffic';
export type { PactsFromTrafficOptions, RecordedInteraction, RecordedPact } from './record/pacts-from-traffic';
export { inferContract } from './record/infer-contract';
export type { InferContractOptions, InferredContract, InferredField } from './record/infer-contract';
export { runContractActions } from './foreign/contract-action';
export type { ActionContext, ContractAction, ContractActions } from './foreign/contract-action';
export { captureProviderTarget } from './foreign/capture-provider';
export type { CaptureProviderSpec } from './foreign/capture-provider';
export { verifyHttpMessageProvider } from './foreign/http-message-provider';
export type { HttpMessageProviderSpec } from './foreign/http-message-provider';
export { verifyConsumerByDelivery } from './foreign/deliver-to-consumer';
export type {
  DeliveryConsumerSpec,
  DeliveryOutcome,
  DeliveryReport,
  DeliveryVerdict,
  DeliveryVerificationOptions,
} from './foreign/deliver-to-consumer';
export { ContractError } from './contract-error';
export type { ContractErrorCode } from './contract-error';
