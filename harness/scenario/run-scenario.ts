import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { FlowAssertionError } from '../assert/assertion-error';
import { eventually } from '../assert/eventually';
import { flow as flowOf } from '../assert/flow';
import { holdsFor } from '../assert/holds-for';
import { EventLog } from '../observe/event-log';
import { accountFlows } from '../observe/flow-accounting';
import type { IdentifiedEvent, ObservedEvent } from '../observe/observed-event';
import { startTap, type StartedTap } from '../observe/tap';
import { FaultInjector } from './fault-injector';
import type { LoadedScenario } from './load-scenario';
import type { CountExpectation, OrderExpectation, ScenarioSpec } from './scenario-schema';
import type { ScenarioCheck, ScenarioFlow, ScenarioReport } from './scenario-report';
import type { ResolvedGiven, ScenarioMode, ScenarioTarget, ScenarioTargetFactory } from './scenario-target';
import { fillPlaceholders } from './_internals/placeholders';
import { matchesSubset } from './_internals/matches-subset';

/** Options of `runScenario`. */
export interface RunScenarioOptions {
  /** Builds the system under test for this run (the reference shop: `shopTarget` in scenarios/shop-target.ts). */
  readonly target: ScenarioTargetFactory;
  /** Default `broker`. Only passed on to the target factory. */
  readonly mode?: ScenarioMode;
  /** Prefix of the run's namespace (lower case letters and digits); default `scn`. */
  readonly namespacePrefix?: string;
  /** Time for the target to start, on top of `within` and `settle`, before the run is abandoned; default 60 s. */
  readonly startupBudgetMs?: number;
}

/** Time allowed for a target to start (schema migration, consumers) on top of the scenario's own deadline. */
const startupBudgetMs = 60_000;
/** Time allowed for the tap and the target to stop. */
const stopBudgetMs = 15_000;

/** Resolves with `promise`, or rejects (code `stop-timeout`) after `ms`. */
async function bounded(promise: Promise<void> | undefined, ms: number): Promise<void> {
  if (!promise) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error(`did not stop within ${ms} ms`), { code: 'stop-timeout' })),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface StartedFlow {
  readonly name: string;
  readonly alias: string | undefined;
  readonly correlationId: string;
  readonly orderId: string;
  readonly startedAt: number;
}

/**
 * Runs one scenario against a fresh target (own namespace, so scenarios run in parallel), observes every delivery
 * with a tap, applies the faults, checks `then`, and returns a report. Never throws for a failed expectation or a
 * broken run: both are in the report (`ok: false`). Use `assertScenario` to throw.
 */
export async function runScenario(
  scenario: LoadedScenario,
  options: RunScenarioOptions,
): Promise<ScenarioReport> {
  const { spec, file } = scenario;
  const mode = options.mode ?? 'broker';
  const namespace = `${options.namespacePrefix ?? 'scn'}-${slug(spec.name)}-${randomBytes(3).toString('hex')}`;
  const startedAt = Date.now();
  const checks: ScenarioCheck[] = [];
  const flows: StartedFlow[] = [];
  const given = resolveGiven(spec);
  let target: ScenarioTarget | undefined;
  let tap: StartedTap | undefined;
  let log: EventLog | undefined;
  let faults: FaultInjector | undefined;
  let error: ScenarioReport['error'];
  let statuses = new Map<string, string | undefined>();
  let accounting: ScenarioReport['accounting'];
  /** Set once the run is over (or abandoned at the hard limit): whatever starts after that stops itself. */
  let abandoned = false;

  const run = async (): Promise<void> => {
    faults = new FaultInjector(spec.faults);
    const restartableServices = spec.faults.flatMap((fault) =>
      'restartService' in fault ? [fault.restartService.service] : [],
    );
    const started = await options.target({ namespace, mode, given, faults, restartableServices });
    if (abandoned) {
      // The hard limit passed while the target was starting: the clean-up below has already run without it.
      await started.stop();
      return;
    }
    target = started;
    // The injector reads messages with the target's adapter, which exists only once the target does.
    faults.bind({
      adapter: started.adapter,
      serviceOfQueue: (queue) => started.serviceOfQueue(queue),
      cutConnections: (service) => started.cutConnections(service),
      restartService: (service) => started.restartService(service),
      // The tap sees publications; redeliveries happen on the services' own queues: record those too, so the
      // timeline shows what a crash or a cut made the broker deliver again.
      onDelivery: (delivery) => {
        if (delivery.redelivered) log?.record(delivery);
      },
    });
    log = new EventLog({ adapter: started.adapter });
    const tapped = await startTap({
      transport: started.observerTransport,
      exchange: started.exchange,
      log,
      queue: `${namespace}.tap`,
    });
    if (abandoned) {
      await tapped.stop();
      return;
    }
    tap = tapped;

    // `within` counts from the first command, not from the target's start-up (schema migration, consumers).
    const deadline = Date.now() + spec.within;
    await runWhen(spec, given, started, flows);
    await awaitTerminals(spec, log, started, flows, deadline, checks);
    await checkChains(spec, log, flows, started.leafEventTypes, deadline, checks);
    await settle(spec, log, started, flows, checks);
    await checkTriggeredFaults(spec, faults, checks);
    checkCounts(spec, log, flows, checks);
    checkPayloads(spec, log, flows, checks);
    statuses = await checkStates(spec, started, flows, checks);
    await checkDeadLetters(spec, started, deadline, checks);
    const ours = new Set(flows.map((f) => f.correlationId));
    accounting = accountFlows(
      log.all().filter((event) => ours.has(event.identity?.correlationId ?? '')),
      { terminalTypes: started.terminalEventTypes, expectedFlows: [...ours] },
    );
  };
  let guard: NodeJS.Timeout | undefined;
  try {
    // A hard limit, so a deadlocked target can never hang a CI job: the deadline plus time to start and settle.
    const limitMs = spec.within + spec.then.settle + (options.startupBudgetMs ?? startupBudgetMs);
    await Promise.race([
      run(),
      new Promise<never>((_resolve, reject) => {
        guard = setTimeout(
          () =>
            reject(
              Object.assign(
                new Error(`scenario did not finish within ${limitMs} ms (start-up, within, settle)`),
                {
                  code: 'scenario-timeout',
                },
              ),
            ),
          limitMs,
        );
      }),
    ]);
  } catch (caught) {
    error = describeError(caught);
  } finally {
    abandoned = true;
    clearTimeout(guard);
    await bounded(tap?.stop(), stopBudgetMs).catch(() => undefined);
    if (target) {
      await bounded(target.stop(), stopBudgetMs).catch((caught: unknown) => {
        error ??= describeError(caught);
      });
    }
  }

  const events = log?.all() ?? [];
  return {
    name: spec.name,
    file,
    description: spec.description,
    mode,
    namespace,
    ok: error === undefined && checks.every((check) => check.ok),
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    flows: flows.map((started): ScenarioFlow => reportFlow(started, events, target, statuses)),
    checks,
    faults: faults?.applied() ?? [],
    events,
    accounting,
    error,
  };
}

function reportFlow(
  started: StartedFlow,
  events: readonly ObservedEvent[],
  target: ScenarioTarget | undefined,
  statuses: ReadonlyMap<string, string | undefined>,
): ScenarioFlow {
  const terminalTypes = new Set(target?.terminalEventTypes ?? []);
  const seen = new Set<string>();
  const terminals: string[] = [];
  let firstTerminalAt: number | undefined;
  for (const event of events) {
    const identity = event.identity;
    if (identity?.correlationId !== started.correlationId || !terminalTypes.has(identity.eventType)) continue;
    if (seen.has(identity.eventId)) continue;
    seen.add(identity.eventId);
    terminals.push(identity.eventType);
    firstTerminalAt ??= event.receivedAt;
  }
  return {
    name: started.name,
    correlationId: started.correlationId,
    orderId: started.orderId,
    terminals,
    status: statuses.get(started.orderId),
    terminalAfterMs:
      firstTerminalAt === undefined ? undefined : Math.round(firstTerminalAt - started.startedAt),
  };
}

/** Generates ids for `given`: every run gets fresh customer ids and e-mails. */
function resolveGiven(spec: ScenarioSpec): ResolvedGiven {
  const run = randomBytes(3).toString('hex');
  const customers = Object.entries(spec.given.customers).map(([name, customer]) => ({
    name,
    customerId: uuidv7(),
    tier: customer.tier,
    email: customer.email ?? `${name}+${run}@example.com`,
  }));
  const idOf = (name: string | undefined): string | undefined =>
    customers.find((customer) => customer.name === name)?.customerId;
  const rule = (entry: {
    customer?: string | undefined;
    minAmountMinor?: number | undefined;
    reason: string;
  }) => {
    const customerId = idOf(entry.customer);
    return {
      ...(customerId ? { customerId } : {}),
      ...(entry.minAmountMinor !== undefined ? { minAmountMinor: entry.minAmountMinor } : {}),
      reason: entry.reason,
    };
  };
  return {
    stock: spec.given.stock,
    customers,
    gateway: {
      declines: spec.given.gateway.declines.map(rule),
      refundFailures: spec.given.gateway.refundFailures.map(rule),
    },
  };
}

/** Executes `when` in order; the orders of one step (`count`) are placed concurrently. */
async function runWhen(
  spec: ScenarioSpec,
  given: ResolvedGiven,
  target: ScenarioTarget,
  flows: StartedFlow[],
): Promise<void> {
  const generated = new Map<string, string>();
  const customers = new Map(given.customers.map((customer) => [customer.name, customer.customerId]));
  for (const [index, step] of spec.when.entries()) {
    if ('placeOrder' in step) {
      const order = step.placeOrder;
      // The schema checked that every customer name is declared under given.customers.
      const customerId = customers.get(order.customer) ?? order.customer;
      const started = Array.from({ length: order.count }, (_unused, n) => {
        const alias = order.as;
        const base = alias ?? `when[${index}]`;
        return {
          name: order.count > 1 ? `${base}#${n + 1}` : base,
          alias,
          correlationId: uuidv7(),
          orderId: uuidv7(),
          startedAt: Date.now(),
        };
      });
      flows.push(...started);
      await Promise.all(
        started.map((flow) =>
          target.placeOrder({
            orderId: flow.orderId,
            correlationId: flow.correlationId,
            customerId,
            items: order.items.map((item) => ({
              sku: item.sku,
              quantity: item.quantity,
              unitPrice: { amountMinor: item.unitPriceMinor, currency: order.currency },
            })),
            fraudScore: order.fraudScore,
          }),
        ),
      );
    } else {
      const ids = (name: string): string => {
        let id = generated.get(name);
        if (!id) {
          id = uuidv7();
          generated.set(name, id);
        }
        return id;
      };
      const payload = fillPlaceholders(step.publish.payload, ids) as Record<string, unknown>;
      const correlationId = uuidv7();
      const orderId = typeof payload['orderId'] === 'string' ? payload['orderId'] : correlationId;
      flows.push({
        name: step.publish.as ?? `when[${index}]`,
        alias: step.publish.as,
        correlationId,
        orderId,
        startedAt: Date.now(),
      });
      await target.publish(step.publish.event, payload, { correlationId, causationId: uuidv7() });
    }
  }
}

function expectationFor(spec: ScenarioSpec, flow: StartedFlow): OrderExpectation | undefined {
  const own = flow.alias ? spec.then.orders[flow.alias] : undefined;
  const every = spec.then.orders['*'];
  if (!own) return every;
  if (!every) return own;
  return { ...every, ...own };
}

function distinctEvents(events: readonly ObservedEvent[], type?: string): IdentifiedEvent[] {
  const seen = new Set<string>();
  const result: IdentifiedEvent[] = [];
  for (const event of events) {
    const identity = event.identity;
    if (!identity || (type !== undefined && identity.eventType !== type) || seen.has(identity.eventId))
      continue;
    seen.add(identity.eventId);
    result.push(event as IdentifiedEvent);
  }
  return result;
}

/** Every flow reaches a terminal event (the one expected, if given) before the scenario's deadline. */
async function awaitTerminals(
  spec: ScenarioSpec,
  log: EventLog,
  target: ScenarioTarget,
  flows: readonly StartedFlow[],
  deadline: number,
  checks: ScenarioCheck[],
): Promise<void> {
  const terminalTypes = new Set(target.terminalEventTypes);
  await Promise.all(
    flows.map(async (flow) => {
      const expected = expectationFor(spec, flow)?.terminal;
      if (expected === 'none') {
        await expectNoTerminal(spec, log, target, flow, deadline, checks);
        return;
      }
      const allowed =
        expected === undefined ? undefined : typeof expected === 'string' ? [expected] : expected;
      const name = `${flow.name}: reaches ${allowed ? allowed.join(' or ') : 'a terminal event'}`;
      try {
        const reached = await eventually(
          () =>
            log.byCorrelation(flow.correlationId).find((e) => terminalTypes.has(e.identity?.eventType ?? '')),
          {
            within: Math.max(1, deadline - Date.now()),
            changes: log.forCorrelation(flow.correlationId),
            description: `flow ${flow.name} to reach a terminal event`,
            timeline: () => log.byCorrelation(flow.correlationId),
          },
        );
        const type = reached.identity?.eventType ?? '?';
        const ok = !allowed || allowed.includes(type);
        checks.push({
          name,
          ok,
          correlationId: flow.correlationId,
          detail: ok ? type : `reached ${type} instead`,
        });
      } catch {
        const last = log.byCorrelation(flow.correlationId).at(-1)?.identity?.eventType;
        checks.push({
          name,
          ok: false,
          correlationId: flow.correlationId,
          detail: `no terminal event within ${spec.within} ms (last observed: ${last ?? 'nothing'})`,
        });
      }
    }),
  );
}

/** How long a flow must be silent before a missing chain link is declared missing. */
const chainIdleMs = 2_000;

/** `terminal: none`: the flow goes quiet without any terminal event (e.g. a stray event nobody acts on). */
async function expectNoTerminal(
  spec: ScenarioSpec,
  log: EventLog,
  target: ScenarioTarget,
  flow: StartedFlow,
  deadline: number,
  checks: ScenarioCheck[],
): Promise<void> {
  const terminalTypes = new Set(target.terminalEventTypes);
  await flowOf(log, flow.correlationId)
    .quiescent({
      idleFor: Math.max(500, spec.then.settle),
      within: Math.max(1, deadline - Date.now()),
      ...(target.leafEventTypes ? { leafTypes: target.leafEventTypes } : {}),
    })
    .catch(() => undefined);
  const reached = distinctEvents(log.byCorrelation(flow.correlationId)).filter((event) =>
    terminalTypes.has(event.identity.eventType),
  );
  checks.push({
    name: `${flow.name}: reaches no terminal event`,
    ok: reached.length === 0,
    correlationId: flow.correlationId,
    detail:
      reached.length === 0 ? undefined : `reached ${reached.map((e) => e.identity.eventType).join(', ')}`,
  });
}

/** `chain`: the causal chain (each event caused by the previous) appears in the flow. */
async function checkChains(
  spec: ScenarioSpec,
  log: EventLog,
  flows: readonly StartedFlow[],
  leafTypes: readonly string[] | undefined,
  deadline: number,
  checks: ScenarioCheck[],
): Promise<void> {
  await Promise.all(
    flows.map(async (flow) => {
      const chain = expectationFor(spec, flow)?.chain;
      if (!chain) return;
      const name = `${flow.name}: chain ${chain.join(' → ')}`;
      try {
        // The terminal event is in; the chain's tail (notifications) may still be on its way. Wait until the
        // flow is quiet — nothing in flight (leaf types), or silent for a while — then the chain must be there:
        // a flow that took another path will not grow it, so there is no point waiting for the deadline.
        const observed = flowOf(log, flow.correlationId);
        await observed
          .quiescent({
            idleFor: chainIdleMs,
            within: Math.max(1, deadline - Date.now()),
            ...(leafTypes ? { leafTypes } : {}),
          })
          .catch(() => undefined);
        await observed.toFollowChain(chain, { within: 1 });
        checks.push({ name, ok: true, correlationId: flow.correlationId });
      } catch (caught) {
        const detail =
          caught instanceof FlowAssertionError
            ? [
                caught.failure.expectedNext === undefined
                  ? ''
                  : `expected next: ${caught.failure.expectedNext}`,
                caught.failure.observed === undefined ? '' : `observed: ${caught.failure.observed}`,
              ]
                .filter(Boolean)
                .join('; ')
            : firstLines(caught, 3);
        checks.push({ name, ok: false, correlationId: flow.correlationId, detail });
      }
    }),
  );
}

/**
 * After every flow is terminal, watch for `settle` ms: no second terminal event, no forbidden event, no count
 * above its maximum. A real negative window, so a compensation loop or a late duplicate effect shows up.
 */
async function settle(
  spec: ScenarioSpec,
  log: EventLog,
  target: ScenarioTarget,
  flows: readonly StartedFlow[],
  checks: ScenarioCheck[],
): Promise<void> {
  const terminalTypes = new Set(target.terminalEventTypes);
  const ours = new Set(flows.map((flow) => flow.correlationId));
  const name = `settles for ${spec.then.settle} ms: one terminal event per flow, no forbidden event`;
  const condition = (): true | string => {
    for (const flow of flows) {
      const events = log.byCorrelation(flow.correlationId);
      const terminals = distinctEvents(events).filter((e) => terminalTypes.has(e.identity.eventType));
      if (terminals.length > 1) {
        return `${flow.name} has ${terminals.length} terminal events: ${terminals.map((e) => e.identity.eventType).join(', ')}`;
      }
      const never = [...(expectationFor(spec, flow)?.never ?? []), ...spec.then.never];
      const forbidden = events.find((e) => never.includes(e.identity?.eventType ?? ''));
      if (forbidden) return `${flow.name} emitted forbidden ${forbidden.identity?.eventType ?? '?'}`;
    }
    for (const [type, count] of Object.entries(spec.then.counts)) {
      if (count === undefined) continue;
      const seen = distinctEvents(
        log.all().filter((e) => ours.has(e.identity?.correlationId ?? '')),
        type,
      ).length;
      const max = maxOf(count);
      if (max !== undefined && seen > max) return `${seen} ${type} events, at most ${max} expected`;
    }
    return true;
  };
  try {
    await holdsFor(condition, {
      during: spec.then.settle,
      changes: log,
      description: name,
      timeline: () => log.all(),
    });
    checks.push({ name, ok: true });
  } catch (caught) {
    checks.push({ name, ok: false, detail: firstLines(caught, 3) });
  }
}

function maxOf(count: CountExpectation): number | undefined {
  return typeof count === 'number' ? count : count.max;
}

function countMatches(count: CountExpectation, seen: number): boolean {
  if (typeof count === 'number') return seen === count;
  return (count.min === undefined || seen >= count.min) && (count.max === undefined || seen <= count.max);
}

function describeCount(count: CountExpectation): string {
  if (typeof count === 'number') return `exactly ${count}`;
  return [count.min === undefined ? '' : `≥ ${count.min}`, count.max === undefined ? '' : `≤ ${count.max}`]
    .filter(Boolean)
    .join(' and ');
}

/** `counts` (scenario-wide and per flow): distinct events (eventIds), so duplicated deliveries count once. */
function checkCounts(
  spec: ScenarioSpec,
  log: EventLog,
  flows: readonly StartedFlow[],
  checks: ScenarioCheck[],
): void {
  const ours = new Set(flows.map((flow) => flow.correlationId));
  const all = log.all().filter((event) => ours.has(event.identity?.correlationId ?? ''));
  for (const [type, count] of Object.entries(spec.then.counts)) {
    if (count === undefined) continue;
    const seen = distinctEvents(all, type).length;
    checks.push({
      name: `count of ${type} is ${describeCount(count)}`,
      ok: countMatches(count, seen),
      detail: `${seen} observed`,
    });
  }
  for (const flow of flows) {
    const counts = expectationFor(spec, flow)?.counts ?? {};
    for (const [type, count] of Object.entries(counts)) {
      if (count === undefined) continue;
      const seen = distinctEvents(log.byCorrelation(flow.correlationId), type).length;
      checks.push({
        name: `${flow.name}: count of ${type} is ${describeCount(count)}`,
        ok: countMatches(count, seen),
        detail: `${seen} observed`,
        correlationId: flow.correlationId,
      });
    }
    for (const [type, count] of Object.entries(expectationFor(spec, flow)?.redelivered ?? {})) {
      if (count === undefined) continue;
      const seen = log
        .byCorrelation(flow.correlationId)
        .filter((event) => event.redelivered && event.identity?.eventType === type).length;
      checks.push({
        name: `${flow.name}: ${type} redelivered to a service ${describeCount(count)} time(s)`,
        ok: countMatches(count, seen),
        detail: `${seen} redelivery(ies) observed`,
        correlationId: flow.correlationId,
      });
    }
    for (const type of [...(expectationFor(spec, flow)?.never ?? []), ...spec.then.never]) {
      const seen = distinctEvents(log.byCorrelation(flow.correlationId), type).length;
      checks.push({
        name: `${flow.name}: never ${type}`,
        ok: seen === 0,
        detail: `${seen} observed`,
        correlationId: flow.correlationId,
      });
    }
  }
}

/** `payloads`: the flow's (first) event of each type carries the given fields. */
function checkPayloads(
  spec: ScenarioSpec,
  log: EventLog,
  flows: readonly StartedFlow[],
  checks: ScenarioCheck[],
): void {
  for (const flow of flows) {
    const payloads = expectationFor(spec, flow)?.payloads ?? {};
    for (const [type, expected] of Object.entries(payloads)) {
      const event = distinctEvents(log.byCorrelation(flow.correlationId), type)[0];
      const name = `${flow.name}: ${type} carries ${JSON.stringify(expected)}`;
      if (!event) {
        checks.push({ name, ok: false, detail: `no ${type} observed`, correlationId: flow.correlationId });
        continue;
      }
      const mismatch = matchesSubset(event.identity.payload, expected);
      checks.push({ name, ok: mismatch === undefined, detail: mismatch, correlationId: flow.correlationId });
    }
  }
}

/** Final states read from the target: order statuses and stock. */
async function checkStates(
  spec: ScenarioSpec,
  target: ScenarioTarget,
  flows: readonly StartedFlow[],
  checks: ScenarioCheck[],
): Promise<Map<string, string | undefined>> {
  const statuses = new Map<string, string | undefined>();
  await Promise.all(
    flows.map(async (flow) => statuses.set(flow.orderId, await target.orderStatus(flow.orderId))),
  );
  for (const flow of flows) {
    const expected = expectationFor(spec, flow)?.status;
    if (expected === undefined) continue;
    const actual = statuses.get(flow.orderId);
    checks.push({
      name: `${flow.name}: status is ${expected}`,
      ok: actual === expected,
      detail: `status is ${actual ?? '(no such order)'}`,
      correlationId: flow.correlationId,
    });
  }
  for (const [sku, expected] of Object.entries(spec.then.stock)) {
    const actual = await target.stockLevel(sku);
    checks.push({
      name: `stock of ${sku} is ${expected}`,
      ok: actual === expected,
      detail: `found ${actual ?? 'no such SKU'}`,
    });
  }
  // Built-in invariant: stock never negative (checked on every SKU the scenario seeded).
  for (const sku of Object.keys(spec.given.stock)) {
    const actual = await target.stockLevel(sku);
    if (actual !== undefined && actual < 0) {
      checks.push({ name: `stock of ${sku} never negative`, ok: false, detail: `found ${actual}` });
    }
  }
  return statuses;
}

/**
 * Dead letters: exactly the `then.deadLetters` counts per service, and none anywhere else — a message a service
 * refused in a scenario that did not expect it is a bug (or a missing expectation).
 */
async function checkDeadLetters(
  spec: ScenarioSpec,
  target: ScenarioTarget,
  deadline: number,
  checks: ScenarioCheck[],
): Promise<void> {
  const read = target.deadLetters?.bind(target);
  if (!read) return;
  // Expected dead letters may still be on their way (retries with backoff come first): wait for them.
  const enough = (): boolean =>
    Object.entries(spec.then.deadLetters).every(([service, count]) => {
      const min = count === undefined ? 0 : typeof count === 'number' ? count : (count.min ?? 0);
      return read().filter((letter) => letter.service === service).length >= min;
    });
  await eventually(() => enough() || undefined, {
    within: Math.max(1, deadline - Date.now()),
    description: 'expected dead letters to arrive',
  }).catch(() => undefined);
  const letters = read();
  const services = new Set([
    ...letters.map((letter) => letter.service),
    ...Object.keys(spec.then.deadLetters),
  ]);
  for (const service of services) {
    const expected = spec.then.deadLetters[service] ?? 0;
    const own = letters.filter((letter) => letter.service === service);
    const reasons = own.map((letter) => `${letter.eventType ?? '?'}: ${letter.reason ?? 'no reason given'}`);
    checks.push({
      name: `${service} dead-lettered ${describeCount(expected)} message(s)`,
      ok: countMatches(expected, own.length),
      detail: own.length === 0 ? '0 dead-lettered' : `${own.length} dead-lettered: ${reasons.join('; ')}`,
    });
  }
  if (services.size === 0) checks.push({ name: 'no message was dead-lettered', ok: true });
}

/** `cutConnections` / `restartService` faults must have been applied, or the scenario proved nothing. */
async function checkTriggeredFaults(
  spec: ScenarioSpec,
  faults: FaultInjector,
  checks: ScenarioCheck[],
): Promise<void> {
  const wanted = spec.faults.flatMap((fault) =>
    'cutConnections' in fault
      ? [{ kind: 'cutConnections', after: fault.cutConnections.after }]
      : 'restartService' in fault
        ? [{ kind: 'restartService', after: fault.restartService.after }]
        : [],
  );
  if (wanted.length === 0) return;
  try {
    await faults.settled();
  } catch (caught) {
    checks.push({ name: 'triggered faults were applied', ok: false, detail: firstLines(caught, 2) });
    return;
  }
  for (const fault of wanted) {
    const applied = faults.applied().some((entry) => entry.kind === fault.kind);
    checks.push({
      name: `fault ${fault.kind} after ${fault.after} was applied`,
      ok: applied,
      detail: applied ? undefined : `${fault.after} was never published`,
    });
  }
}

function describeError(caught: unknown): { code: string; message: string } {
  const code =
    caught && typeof caught === 'object' && 'code' in caught && typeof caught.code === 'string'
      ? caught.code
      : 'run-failed';
  const message = caught instanceof Error ? caught.message : String(caught);
  const cause =
    caught instanceof Error && caught.cause instanceof Error ? ` (cause: ${caught.cause.message})` : '';
  return { code, message: `${message}${cause}` };
}

function firstLines(caught: unknown, count: number): string {
  const message = caught instanceof Error ? caught.message : String(caught);
  return message.split('\n').slice(0, count).join('\n      ');
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 24)
      .replace(/-$/, '') || 'scenario'
  );
}
