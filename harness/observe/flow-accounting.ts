import { isInjectedCopy, isInjectedMessage } from './injected-message';
import { isIdentified, type ObservedEvent } from './observed-event';

export interface AccountingOptions {
  /** Event types that end a flow (the shop: ShipmentScheduled, OrderCancelled, OrderNeedsAttention). */
  readonly terminalTypes: readonly string[];
  /**
   * The flows the run started (correlationIds). Flows observed but not listed are `unexpected`; listed flows never
   * observed are `lost`. Default: every observed flow is expected.
   */
  readonly expectedFlows?: readonly string[];
  /** Event types allowed at all; others make their flow `unexpected`. Default: any type. */
  readonly knownTypes?: readonly string[];
  /** Types a flow may emit at most once (distinct publications). Default: the terminal types. */
  readonly atMostOnce?: readonly string[];
  /**
   * Messages Troupe published itself (flow starts, chaos copies): not the system's publications, so never counted
   * as its events; a copy counts as a repeated delivery. Default: marked `x-troupe-injected` (or `x-troupe-chaos`).
   */
  readonly isInjected?: (event: ObservedEvent) => boolean;
}

/** Jepsen-style verdict for one flow. */
export interface FlowAccount {
  readonly correlationId: string;
  /** Terminal event types reached, one entry per distinct terminal event. */
  readonly terminals: readonly string[];
  /** No terminal event observed. */
  readonly lost: boolean;
  /**
   * Types emitted more than once although allowed at most once (e.g. two charges, two terminal events), and
   * `terminal events A + B` when the flow reached several different terminal types.
   */
  readonly duplicated: readonly string[];
  /** Why the flow (or some of its events) was not expected: unknown flow, unknown types. */
  readonly unexpected: readonly string[];
  /** Reached exactly one terminal event although deliveries were duplicated or redelivered on the way. */
  readonly recovered: boolean;
  /**
   * Deliveries of a publication already delivered (redeliveries, re-publications with the same id, copies Troupe
   * injected); tolerated by design.
   */
  readonly repeatedDeliveries: number;
  readonly deliveries: number;
}

/** `accountFlows`' verdict: one account per flow, totals, and whether the run as a whole is valid. */
export interface AccountingReport {
  readonly flows: readonly FlowAccount[];
  readonly totals: {
    readonly flows: number;
    readonly ok: number;
    readonly lost: number;
    readonly duplicated: number;
    readonly unexpected: number;
    readonly recovered: number;
  };
  /** Deliveries no adapter could read: unexpected at run level. */
  readonly unreadable: number;
  /** True when no flow is lost, duplicated or unexpected and every delivery was readable. */
  readonly valid: boolean;
}

/**
 * Per-flow accounting in the spirit of Jepsen's total-queue checker: for each flow, was it lost (no terminal
 * event), duplicated (an at-most-once type emitted twice), unexpected (not started by the run, or unknown
 * types), and did it recover from repeated deliveries.
 */
export function accountFlows(events: readonly ObservedEvent[], options: AccountingOptions): AccountingReport {
  const terminal = new Set(options.terminalTypes);
  const atMostOnce = new Set(options.atMostOnce ?? options.terminalTypes);
  const known = options.knownTypes ? new Set(options.knownTypes) : undefined;
  const expected = options.expectedFlows ? new Set(options.expectedFlows) : undefined;
  const byFlow = new Map<string, ObservedEvent[]>();
  for (const id of options.expectedFlows ?? []) byFlow.set(id, []);
  let unreadable = 0;
  for (const event of events) {
    if (!isIdentified(event)) {
      unreadable++;
      continue;
    }
    const list = byFlow.get(event.identity.correlationId);
    if (list) list.push(event);
    else byFlow.set(event.identity.correlationId, [event]);
  }
  const injectedOf = options.isInjected ?? ((event: ObservedEvent) => isInjectedMessage(event.headers));
  const flows: FlowAccount[] = [];
  for (const [correlationId, flowEvents] of byFlow) {
    // One entry per publication: a real id counts once however often it was delivered; an id-less message (a
    // synthetic id) once per record, except a record the broker redelivered to the observer.
    const distinct = new Map<string, string>();
    let repeatedDeliveries = 0;
    for (const event of flowEvents) {
      const identity = event.identity;
      if (!identity) continue;
      if (injectedOf(event)) {
        // Troupe's own message (a flow start, a chaos copy of a publication): never the system's.
        if (isInjectedCopy(event.headers)) repeatedDeliveries++;
        continue;
      }
      if (distinct.has(identity.eventId) || event.redelivered) repeatedDeliveries++;
      if (identity.syntheticId === true && event.redelivered) continue;
      distinct.set(identity.eventId, identity.eventType);
    }
    const types = [...distinct.values()];
    const terminals = types.filter((type) => terminal.has(type));
    const counts = new Map<string, number>();
    for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
    const duplicated = [...counts].filter(([type, n]) => n > 1 && atMostOnce.has(type)).map(([type]) => type);
    // Exactly one terminal event per flow: two different ones (shipped and cancelled) are a double effect too.
    const terminalKinds = new Set(terminals);
    if (terminalKinds.size > 1) duplicated.push(`terminal events ${[...terminalKinds].join(' + ')}`);
    const unexpected: string[] = [];
    if (expected && !expected.has(correlationId)) unexpected.push('flow not started by this run');
    if (known)
      for (const type of new Set(types)) if (!known.has(type)) unexpected.push(`unknown type ${type}`);
    flows.push({
      correlationId,
      terminals,
      lost: terminals.length === 0,
      duplicated,
      unexpected,
      recovered: terminals.length === 1 && duplicated.length === 0 && repeatedDeliveries > 0,
      repeatedDeliveries,
      deliveries: flowEvents.length,
    });
  }
  const count = (predicate: (flow: FlowAccount) => boolean): number => flows.filter(predicate).length;
  const totals = {
    flows: flows.length,
    ok: count((f) => !f.lost && f.duplicated.length === 0 && f.unexpected.length === 0),
    lost: count((f) => f.lost),
    duplicated: count((f) => f.duplicated.length > 0),
    unexpected: count((f) => f.unexpected.length > 0),
    recovered: count((f) => f.recovered),
  };
  return {
    flows,
    totals,
    unreadable,
    valid: totals.lost === 0 && totals.duplicated === 0 && totals.unexpected === 0 && unreadable === 0,
  };
}

/** One line per problem flow plus the totals, for test failures and CLI output. */
export function renderAccounting(report: AccountingReport): string {
  const { totals } = report;
  const lines = [
    `flows ${totals.flows}: ok ${totals.ok}, lost ${totals.lost}, duplicated ${totals.duplicated}, ` +
      `unexpected ${totals.unexpected}, recovered ${totals.recovered}; unreadable deliveries ${report.unreadable}`,
  ];
  for (const flow of report.flows) {
    const problems = [
      ...(flow.lost ? ['lost (no terminal event)'] : []),
      ...flow.duplicated.map((type) => `duplicated ${type}`),
      ...flow.unexpected,
    ];
    if (problems.length > 0) lines.push(`  ${flow.correlationId}: ${problems.join('; ')}`);
  }
  return lines.join('\n');
}
