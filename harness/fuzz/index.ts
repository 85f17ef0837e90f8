/** The fuzzer's public surface: explicit list, for `harness/index.ts` to re-export. */
export {
  fuzzSimulation,
  assertFuzzSimulation,
  parseReplayToken,
  FuzzViolationError,
} from './fuzz-simulation';
export type { FuzzFailure, FuzzProgress, FuzzReport, FuzzSimulationOptions } from './fuzz-simulation';
export { simulate } from './simulate';
export type { SimRun, SimulateOptions, TimelineEntry } from './simulate';
export { checkSchedule, compareRuns } from './check-schedule';
export type { Baseline, BaselineCache, PropertyName, ScheduleVerdict, Violation } from './check-schedule';
export { scheduleArbitrary, faultArbitrary, cleanScheduleOf, describeFault } from './schedule';
export type { Fault, Schedule, ScheduleShape } from './schedule';
export type { SimEnv, SimSystem, SimTarget } from './sim-target';
export { invariant, readPath } from './invariant';
export type { Invariant, InvariantInput, PerKey, SumBound } from './invariant';
export { formatFuzzReport, formatFuzzSummary, formatTimeline } from './report';
export { fuzzHandler, HandlerFuzzError } from './fuzz-handler';
export type { FuzzHandlerOptions, HandlerUnderTest } from './fuzz-handler';
export { fuzzBroker, formatBrokerFuzzReport } from './broker/fuzz-broker';
export type { BrokerFuzzOptions, BrokerFuzzReport } from './broker/fuzz-broker';
export { startBrokerChaos, CHAOS_HEADER } from './broker/broker-chaos';
export type { BrokerChaosOptions, BrokerChaosStats, StartedBrokerChaos } from './broker/broker-chaos';
export type {
  BrokerTarget,
  BrokerTargetContext,
  StartedBrokerTarget,
  StartedFlow,
} from './broker/broker-target';
