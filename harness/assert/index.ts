/** The assertions' public surface: explicit list, for `harness/index.ts` to re-export. */
export { flow, Flow } from './flow';
export type { DuringOptions, ExactlyOnceOptions, FlowOptions, QuiescentOptions, WithinOptions } from './flow';
export { eventually } from './eventually';
export type { EventuallyOptions, Probe } from './eventually';
export { holdsFor } from './holds-for';
export type { Condition, HoldsForOptions } from './holds-for';
export { quiescent } from './quiescent';
export type { LogQuiescentOptions } from './quiescent';
export { flowMatchers } from './matchers';
export type { FlowMatchers } from './matchers';
export { FlowAssertionError, formatAssertionFailure } from './assertion-error';
export type { AssertionCode, AssertionFailure } from './assertion-error';
