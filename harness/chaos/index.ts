/**
 * The AMQP 0-9-1 chaos proxy: real faults between any service and RabbitMQ, black-box, seeded, replayable.
 * Explicit export list (no `export *`).
 */
export { startChaosProxy } from './start-chaos-proxy';
export type { ChaosListener, ChaosProxyOptions, StartedChaosProxy } from './start-chaos-proxy';
export { startControlApi } from './control-api';
export type { StartedControlApi } from './control-api';
export { ChaosError } from './chaos-error';
export type { ChaosErrorCode } from './chaos-error';
export { describeChaosFault, formatChaosPlan, parseChaosFault, parseChaosPlan } from './plan/chaos-fault';
export type {
  ChaosFault,
  ChaosFaultKind,
  ChaosPlan,
  CutHow,
  CutTrigger,
  FaultSelection,
  MessageMatch,
} from './plan/chaos-fault';
export { planFromSchedule } from './plan/plan-from-schedule';
export { parseSchedule } from './plan/parse-schedule';
export type { ConvertedPlan, ScheduleMapping } from './plan/plan-from-schedule';
export { chaosPlanArbitrary, randomChaosPlan } from './plan/chaos-plan-arbitrary';
export type { ChaosPlanShape } from './plan/chaos-plan-arbitrary';
export { renderFaultLog } from './fault-log';
export type { FaultLogEntry } from './fault-log';
export type { ConnectionView, ConsumerView } from './session/connection-session';
