import type { Target, TargetCapability } from '../target/target';
import { terminalTypesOf } from '../target/target';

/** Fault kinds of the core spec. */
export const scenarioFaultKinds = [
  'duplicate',
  'delay',
  'reorder',
  'redeliver',
  'cut',
  'kill',
  'restart',
  'pause',
] as const;

/** One fault kind of the core spec. */
export type ScenarioFaultKind = (typeof scenarioFaultKinds)[number];

/** Faults on real deliveries to one consumer: a target applies them in process, or through the chaos proxy. */
export const messageFaultKinds: readonly ScenarioFaultKind[] = [
  'duplicate',
  'delay',
  'reorder',
  'redeliver',
  'pause',
];

/** A step or probe a target adds: its fields (a zod schema) and its cross references (see `TargetCapability`). */
export type ScenarioCapability = Pick<
  TargetCapability,
  'description' | 'schema' | 'startsFlow' | 'declares' | 'uses'
>;

/**
 * What a scenario spec is checked against, taken as data so the harness never imports the services it tests:
 * the event types and services that may be named, the target's own steps and probes, and the faults the target
 * can apply. An empty list accepts any name.
 */
export interface ScenarioVocabulary {
  readonly eventTypes: readonly string[];
  readonly services: readonly string[];
  /** Event types that end a flow: every flow must reach exactly one of them (unless `terminal: none`). */
  readonly terminalEventTypes?: readonly string[];
  /** Exchanges `publish` may name. Any name when omitted. */
  readonly exchanges?: readonly string[] | undefined;
  /** Steps the target adds to `given` / `when`, by name. */
  readonly steps?: Readonly<Record<string, ScenarioCapability>> | undefined;
  /** Probes the target adds to `then.probes`, by name. */
  readonly probes?: Readonly<Record<string, ScenarioCapability>> | undefined;
  /** Faults this target can apply; a spec asking for another is refused at load time. Default: all. */
  readonly faults?: readonly ScenarioFaultKind[] | undefined;
  /** Why a fault kind missing from `faults` is unavailable (shown in the spec error). */
  readonly faultsUnavailableBecause?: string | undefined;
}

/** Options of `scenarioVocabularyOf`. */
export interface VocabularyOptions {
  /**
   * Whether message faults (duplicate, delay, reorder, redeliver, pause) can be applied: in process (the target
   * wraps its services' transports) or through the chaos proxy. Default true.
   */
  readonly messageFaults?: boolean;
  /** Why they cannot, for the spec error (`"the chaos proxy is not available"`). */
  readonly messageFaultsUnavailableBecause?: string;
  /** Exchanges `publish` may name (a manifest's). */
  readonly exchanges?: readonly string[];
}

/** The vocabulary of a target: its event types, services, terminal types, steps and probes. */
export function scenarioVocabularyOf(target: Target, options: VocabularyOptions = {}): ScenarioVocabulary {
  const messageFaults = options.messageFaults ?? true;
  return {
    eventTypes: target.eventTypes ?? [],
    services: target.serviceNames,
    terminalEventTypes: terminalTypesOf(target),
    ...(options.exchanges ? { exchanges: options.exchanges } : {}),
    ...(target.steps ? { steps: target.steps } : {}),
    ...(target.probes ? { probes: target.probes } : {}),
    faults: scenarioFaultKinds.filter((kind) => messageFaults || !messageFaultKinds.includes(kind)),
    ...(messageFaults || options.messageFaultsUnavailableBecause === undefined
      ? {}
      : { faultsUnavailableBecause: options.messageFaultsUnavailableBecause }),
  };
}
