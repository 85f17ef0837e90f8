import { randomBytes } from 'node:crypto';
import { FlowAssertionError } from '../assert/assertion-error';
import { eventually } from '../assert/eventually';
import { flow as flowOf } from '../assert/flow';
import { holdsFor } from '../assert/holds-for';
import { seededRandom } from '../fuzz/_internals/seeded-random';
import { EventLog } from '../observe/event-log';
import { accountFlows } from '../observe/flow-accounting';
import type { ObservedEvent } from '../observe/observed-event';
import {
  invariantsOf,
  terminalTypesOf,
  type ServiceExit,
  type StartedTarget,
  type Target,
} from '../target/target';
import { FaultInjector } from './fault-injector';
import type { LoadedScenario } from './load-scenario';
import { proxyChaos } from './proxy-chaos';
import type { ScenarioChaosFactory, ScenarioChaos } from './scenario-chaos';
import { toChaosFaults } from './scenario-chaos';
import { ScenarioRunError } from './scenario-run-error';
import type { CountExpectation, FlowExpectation, ScenarioSpec } from './scenario-schema';
import type {
  ScenarioCheck,
  ScenarioFlow,
  ScenarioMode,
  ScenarioReport,
  ScenarioServiceReport,
} from './scenario-report';
import { LifecycleFaults } from './_internals/lifecycle-faults';
import { matchesSubset } from './_internals/matches-subset';
import { publications } from './_internals/publications';
import { runProbes } from './_internals/run-probes';
import { pinFlows, type RunFlow, type RunState } from './_internals/run-state';
import { runSteps } from './_internals/run-steps';
import { startTargetTaps, type TargetTaps } from './_internals/target-taps';

/** Options of `runScenario`. */
export interface RunScenarioOptions {
  /** The system under test (the reference shop: `shopTarget()`; your own: `targetFromConfig(...)`). */
  readonly target: Target;
  /** Where it runs, for the report; default `broker`. */
  readonly mode?: ScenarioMode;
  /** AMQP URL handed to the target (default: the target's own). */
  readonly brokerUrl?: string;
  /** Working directory of `run` steps and probes (relative `cwd`s resolve against it); default the process's. */
  readonly cwd?: string;
  /** PostgreSQL for `sql` probes without a `url`; default `DATABASE_URL`. */
  readonly databaseUrl?: string;
  /**
   * The chaos proxy for every target on a broker, in process or not: the services' connections go through it
   * (`TargetContext.router`) and the message faults become its plan. Default: `proxyChaos(target)`, started only
   * when a service asks the router for its URL — a target without a broker (the in-memory transport) never does,
   * and its faults are applied by wrapping its transports.
   */
  readonly chaos?: ScenarioChaosFactory;
  /** Prefix of the run's namespace (lower case letters and digits); default `scn`. */
  readonly namespacePrefix?: string;
  /** Time for the target to start, on top of `within` and `settle`, before the run is abandoned; default 60 s. */
  readonly startupBudgetMs?: number;
}

/** Time allowed for a target to start (schema migration, processes, consumers) on top of the scenario's deadline. */
const startupBudgetMs = 60_000;
/** Time allowed for the taps and the target to stop. */
const stopBudgetMs = 15_000;
/** How long a flow must be silent before a missing chain link is declared missing. */
const chainIdleMs = 2_000;
/** How long a probe that does not hold yet is read again, after the flows settled. */
const probeGraceMs = 2_000;
/** Lines of each service's output kept in a report. */
const keptOutputLines = 200;

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

/**
 * Runs one scenario against a fresh start of `target` (its own namespace, so scenarios run in parallel): arms a
 * tap on every exchange, runs `given` then `when`, applies the faults, checks `then`, and returns a report. Never
 * throws for a failed expectation or a broken run: both are in the report (`ok: false`). `assertScenario` throws.
 */
export async function runScenario(
  scenario: LoadedScenario,
  options: RunScenarioOptions,
): Promise<ScenarioReport> {
  const { spec, file } = scenario;
  const { target } = options;
  const mode = options.mode ?? 'broker';
  const namespace = `${options.namespacePrefix ?? 'scn'}-${slug(spec.name)}-${randomBytes(3).toString('hex')}`;
  const startedAt = Date.now();
  const checks: ScenarioCheck[] = [];
  const injector = new FaultInjector(spec.faults);
  const log = new EventLog({ adapter: target.adapter });
  let started: StartedTarget | undefined;
  let chaos: ScenarioChaos | undefined;
  let taps: TargetTaps | undefined;
  let lifecycle: LifecycleFaults | undefined;
  let state: RunState | undefined;
  let error: ScenarioReport['error'];
  let accounting: ScenarioReport['accounting'];
  let unexpectedExit: ServiceExit | undefined;
  let rejectExit: ((reason: unknown) => void) | undefined;
  const exited = new Promise<never>((_resolve, reject) => (rejectExit = reject));
  exited.catch(() => undefined);
  /** Set once the run is over (or abandoned at the hard limit): whatever starts after that stops itself. */
  let abandoned = false;

  const run = async (): Promise<void> => {
    // The proxy only when the spec has message faults or cuts (a proxy cut is instant and lands while the
    // triggering message is in flight; a rabbitmqctl cut takes seconds): otherwise the run talks to the broker.
    if (
      spec.faults.some(
        (fault) => isMessageFault(fault.kind) || fault.kind === 'pause' || fault.kind === 'cut',
      )
    ) {
      chaos = await (options.chaos ?? proxyChaos(target))({
        namespace,
        note: (detail, kind) => injector.note(kind ?? 'proxy', detail),
      });
    }
    // Routed once a service asked for its proxy URL: then the proxy applies the message faults, for every target.
    let routed = false;
    const opened = chaos;
    const router = opened && {
      urlFor: (service: string, brokerUrl: string) => {
        routed = true;
        return opened.router.urlFor(service, brokerUrl);
      },
      cut: (service: string) => opened.router.cut(service),
    };
    const starting = await target.start({
      namespace,
      random: seededRandom(startedAt),
      ...(options.brokerUrl ? { brokerUrl: options.brokerUrl } : {}),
      ...(router ? { router } : {}),
      wrapServiceTransport: (_service, transport) => injector.wrap(transport),
      onServiceExit: (exit) => {
        unexpectedExit ??= exit;
        rejectExit?.(
          new ScenarioRunError(
            'service-exited',
            `service ${exit.service} exited by itself (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}); last lines:\n${exit.lastLines.join('\n')}`,
          ),
        );
      },
    });
    if (abandoned) {
      // The hard limit passed while the target was starting: the clean-up below has already run without it.
      await starting.stop();
      return;
    }
    started = starting;
    // Before any step: a message must not be faulted both in process and by the proxy.
    if (routed) injector.leaveMessageFaultsToProxy();
    const proxy = routed ? chaos : undefined;
    const queueOwner = new Map<string, string>();
    for (const service of starting.services)
      for (const queue of service.queues) queueOwner.set(queue, service.name);
    lifecycle = new LifecycleFaults(spec.faults, starting, injector, proxy);
    const faults = lifecycle;
    injector.bind({
      adapter: starting.adapter,
      serviceOfQueue: (queue) => queueOwner.get(queue),
      // The tap sees publications; redeliveries happen on the services' own queues: record those too, so the
      // timeline shows what a crash or a cut made the broker deliver again.
      onDelivery: (delivery) => {
        if (delivery.redelivered) log.record(delivery);
      },
      onPublish: (type) => faults.observe(type),
    });
    const runState: RunState = {
      spec,
      target,
      started: starting,
      log,
      namespace,
      flows: [],
      memory: new Map(),
      uuids: new Map(),
      deadline: Date.now() + spec.within,
      cwd: options.cwd ?? process.cwd(),
      abandoned: () => abandoned,
    };
    state = runState;
    log.subscribe((event) => {
      pinFlows(runState, event);
      const type = event.identity?.eventType;
      if (type !== undefined) faults.observe(type);
    });
    // Redeliveries to services in this process are seen by the FaultInjector; for processes, ask the firehose.
    const wantsRedeliveries = Object.values(spec.then.flows).some((expectation) => expectation.redelivered);
    const tapped = await startTargetTaps(starting, log, namespace, {
      ...(wantsRedeliveries && !injector.inProcess ? { redeliveriesOn: [...queueOwner.keys()] } : {}),
    });
    if (abandoned) {
      await tapped.stop();
      return;
    }
    taps = tapped;
    if (proxy) {
      const services = starting.services.map((service) => service.name);
      await proxy.apply(toChaosFaults(spec.faults, services));
    }

    await runSteps(runState, 'given', spec.given);
    // `within` counts from the first `when` step, not from start-up or `given`.
    runState.deadline = Date.now() + spec.within;
    await faults.begin();
    await runSteps(runState, 'when', spec.when);
    await awaitTerminals(runState, checks);
    await checkChains(runState, checks);
    await settle(runState, tapped, checks);
    await checkLifecycleFaults(faults, checks);
    checkMessageFaults(spec, injector, proxy, checks);
    checkCounts(runState, tapped, checks);
    checkPayloads(runState, checks);
    checks.push(
      ...(await runProbes(
        runState,
        spec.then.probes,
        // Final state may trail the last event a little (a read model): re-read for a while, not until `within`.
        Math.min(runState.deadline, Date.now() + Math.max(probeGraceMs, spec.then.settle)),
        options.databaseUrl ?? process.env['DATABASE_URL'],
      )),
    );
    await checkInvariants(runState, tapped, checks);
    await checkDeadLetters(runState, checks);
    const ours = new Set(runState.flows.map((f) => f.correlationId));
    accounting = accountFlows(
      log
        .all()
        .filter((event) => tapped.isTapRecord(event.source) && ours.has(event.identity?.correlationId ?? '')),
      { terminalTypes: terminalTypesOf(target), expectedFlows: [...ours] },
    );
  };
  let guard: NodeJS.Timeout | undefined;
  try {
    // A hard limit, so a deadlocked target can never hang a CI job: the deadline plus time to start and settle.
    const limitMs = spec.within + spec.then.settle + (options.startupBudgetMs ?? startupBudgetMs);
    await Promise.race([
      run(),
      exited,
      new Promise<never>((_resolve, reject) => {
        guard = setTimeout(
          () =>
            reject(
              new ScenarioRunError(
                'scenario-timeout',
                `scenario did not finish within ${limitMs} ms (start-up, within, settle)`,
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
    lifecycle?.stop();
    await bounded(taps?.stop(), stopBudgetMs).catch(() => undefined);
    if (started) {
      await bounded(started.stop(), stopBudgetMs).catch((caught: unknown) => {
        error ??= describeError(caught);
      });
    }
    await bounded(chaos?.stop(), stopBudgetMs).catch(() => undefined);
  }

  const events = log.all();
  const flows = state?.flows ?? [];
  const terminalTypes = new Set(terminalTypesOf(target));
  return {
    name: spec.name,
    file,
    description: spec.description,
    mode,
    namespace,
    ok: error === undefined && checks.every((check) => check.ok),
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    flows: flows.map((flow): ScenarioFlow => reportFlow(flow, events, terminalTypes)),
    checks,
    faults: injector.applied(),
    events,
    accounting,
    error,
    services: started?.services.map((service): ScenarioServiceReport => ({
      name: service.name,
      ...(unexpectedExit?.service === service.name
        ? { exit: { code: unexpectedExit.code, signal: unexpectedExit.signal } }
        : {}),
      output: service
        .output()
        .slice(-keptOutputLines)
        .map((line) => `${line.stream === 'stderr' ? '!' : ' '} ${line.text}`),
    })),
  };
}

function isMessageFault(kind: string): boolean {
  return ['duplicate', 'delay', 'reorder', 'redeliver'].includes(kind);
}

/**
 * Message faults must have been applied at least once — a `duplicate` of an event nobody consumed proved nothing —
 * and they need the proxy (a target on a broker) or the target's transports (in process, without a broker).
 */
function checkMessageFaults(
  spec: ScenarioSpec,
  injector: FaultInjector,
  proxy: ScenarioChaos | undefined,
  checks: ScenarioCheck[],
): void {
  for (const fault of spec.faults) {
    if (!isMessageFault(fault.kind) || !('event' in fault)) continue;
    const name = `fault ${fault.kind} ${fault.event}${fault.service ? ` to ${fault.service}` : ''} was applied`;
    if (!injector.appliesMessageFaults && !proxy) {
      checks.push({
        name,
        ok: false,
        detail:
          'no service of the target went through the chaos proxy and none applies faults in process: nothing was faulted',
      });
      continue;
    }
    const applied = injector.applied().some((entry) => entry.kind === fault.kind);
    checks.push({
      name,
      ok: applied,
      detail: applied ? undefined : `no ${fault.event} reached ${fault.service ?? 'a consumer'} to fault`,
    });
  }
}

function reportFlow(
  flow: RunFlow,
  events: readonly ObservedEvent[],
  terminalTypes: ReadonlySet<string>,
): ScenarioFlow {
  const seen = new Set<string>();
  const terminals: string[] = [];
  let firstTerminalAt: number | undefined;
  for (const event of events) {
    const identity = event.identity;
    if (identity?.correlationId !== flow.correlationId || !terminalTypes.has(identity.eventType)) continue;
    if (seen.has(identity.eventId)) continue;
    seen.add(identity.eventId);
    terminals.push(identity.eventType);
    firstTerminalAt ??= event.receivedAt;
  }
  return {
    name: flow.name,
    key: flow.key,
    correlationId: flow.correlationId,
    terminals,
    terminalAfterMs: firstTerminalAt === undefined ? undefined : Math.round(firstTerminalAt - flow.startedAt),
  };
}

function expectationFor(spec: ScenarioSpec, flow: RunFlow): FlowExpectation | undefined {
  const own = flow.alias ? spec.then.flows[flow.alias] : undefined;
  const every = spec.then.flows['*'];
  if (!own) return every;
  if (!every) return own;
  return { ...every, ...own };
}

/** Distinct events of a flow by id (any source: chains and terminals look at everything the flow did). */
function distinctEvents(events: readonly ObservedEvent[], type?: string): ObservedEvent[] {
  const seen = new Set<string>();
  return events.filter((event) => {
    const identity = event.identity;
    if (!identity || (type !== undefined && identity.eventType !== type)) return false;
    if (identity.syntheticId) return true;
    if (seen.has(identity.eventId)) return false;
    seen.add(identity.eventId);
    return true;
  });
}

/** Every flow reaches a terminal event (the one expected, if given) before the scenario's deadline. */
async function awaitTerminals(state: RunState, checks: ScenarioCheck[]): Promise<void> {
  const { spec, log } = state;
  const terminalTypes = new Set(terminalTypesOf(state.target));
  await Promise.all(
    state.flows.map(async (flow) => {
      const expected = expectationFor(spec, flow)?.terminal;
      if (expected === 'none') {
        await expectNoTerminal(state, flow, checks);
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
            within: Math.max(1, state.deadline - Date.now()),
            changes: log,
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

/** Event types that cause nothing further, when the target knows them (quiescence without waiting). */
function leafTypes(state: RunState): readonly string[] | undefined {
  return state.target.leafEventTypes;
}

/** `terminal: none`: the flow goes quiet without any terminal event (e.g. a stray event nobody acts on). */
async function expectNoTerminal(state: RunState, flow: RunFlow, checks: ScenarioCheck[]): Promise<void> {
  const terminalTypes = new Set(terminalTypesOf(state.target));
  const leaves = leafTypes(state);
  await flowOf(state.log, flow.correlationId)
    .quiescent({
      idleFor: Math.max(500, state.spec.then.settle),
      within: Math.max(1, state.deadline - Date.now()),
      ...(leaves ? { leafTypes: leaves } : {}),
    })
    .catch(() => undefined);
  const reached = distinctEvents(state.log.byCorrelation(flow.correlationId)).filter((event) =>
    terminalTypes.has(event.identity?.eventType ?? ''),
  );
  checks.push({
    name: `${flow.name}: reaches no terminal event`,
    ok: reached.length === 0,
    correlationId: flow.correlationId,
    detail:
      reached.length === 0 ? undefined : `reached ${reached.map((e) => e.identity?.eventType).join(', ')}`,
  });
}

/** `chain`: the causal chain (each event caused by the previous) appears in the flow. */
async function checkChains(state: RunState, checks: ScenarioCheck[]): Promise<void> {
  const leaves = leafTypes(state);
  await Promise.all(
    state.flows.map(async (flow) => {
      const chain = expectationFor(state.spec, flow)?.chain;
      if (!chain) return;
      const name = `${flow.name}: chain ${chain.join(' → ')}`;
      try {
        // The terminal event is in; the chain's tail (notifications) may still be on its way. Wait until the
        // flow is quiet — nothing in flight (leaf types), or silent for a while — then the chain must be there:
        // a flow that took another path will not grow it, so there is no point waiting for the deadline.
        const observed = flowOf(state.log, flow.correlationId);
        const causal = (): boolean =>
          state.log
            .byCorrelation(flow.correlationId)
            .some((event) => event.identity?.causationId !== undefined);
        const complete = causal()
          ? await observed.toFollowChain(chain, { within: 1 }).then(
              () => true,
              () => false,
            )
          : missingFromOrder(state.log.byCorrelation(flow.correlationId), chain) === undefined;
        // Already there: nothing to wait for.
        if (!complete) {
          await observed
            .quiescent({
              idleFor: chainIdleMs,
              within: Math.max(1, state.deadline - Date.now()),
              ...(leaves ? { leafTypes: leaves } : {}),
            })
            .catch(() => undefined);
        }
        const events = state.log.byCorrelation(flow.correlationId);
        if (causal()) {
          await observed.toFollowChain(chain, { within: 1 });
          checks.push({ name, ok: true, correlationId: flow.correlationId });
        } else {
          // A format without causation ids: the chain is the order in which the types first appeared.
          const missing = missingFromOrder(events, chain);
          checks.push({
            name: `${name} (in order: the format carries no causation)`,
            ok: missing === undefined,
            correlationId: flow.correlationId,
            detail: missing,
          });
        }
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

/** Why `chain` is not an in-order subsequence of the flow's event types; undefined when it is. */
function missingFromOrder(events: readonly ObservedEvent[], chain: readonly string[]): string | undefined {
  const seen = events.flatMap((event) => (event.identity ? [event.identity.eventType] : []));
  let at = 0;
  for (const [index, type] of chain.entries()) {
    const found = seen.indexOf(type, at);
    if (found < 0) {
      const after = index === 0 ? 'at the start' : `after ${chain.slice(0, index).join(' → ')}`;
      return `expected next: ${type} ${after}; observed: ${seen.join(' → ') || 'nothing'}`;
    }
    at = found + 1;
  }
  return undefined;
}

/**
 * After every flow is terminal, watch for `settle` ms: no second terminal event, no forbidden event, no count
 * above its maximum. A real negative window, so a compensation loop or a late duplicate effect shows up.
 */
async function settle(state: RunState, taps: TargetTaps, checks: ScenarioCheck[]): Promise<void> {
  const { spec, log, flows } = state;
  const terminalTypes = new Set(terminalTypesOf(state.target));
  const name = `settles for ${spec.then.settle} ms: one terminal event per flow, no forbidden event`;
  const condition = (): true | string => {
    for (const flow of flows) {
      const events = log.byCorrelation(flow.correlationId);
      const terminals = publications(events, taps.isTapRecord).filter((e) =>
        terminalTypes.has(e.identity.eventType),
      );
      if (terminals.length > 1) {
        return `${flow.name} has ${terminals.length} terminal events: ${terminals.map((e) => e.identity.eventType).join(', ')}`;
      }
      const never = [...(expectationFor(spec, flow)?.never ?? []), ...spec.then.never];
      const forbidden = events.find((e) => never.includes(e.identity?.eventType ?? ''));
      if (forbidden) return `${flow.name} emitted forbidden ${forbidden.identity?.eventType ?? '?'}`;
    }
    for (const [type, count] of Object.entries(spec.then.counts)) {
      if (count === undefined) continue;
      const seen = publications(ourEvents(state), taps.isTapRecord, type).length;
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

function ourEvents(state: RunState): ObservedEvent[] {
  const ours = new Set(state.flows.map((flow) => flow.correlationId));
  return state.log.all().filter((event) => ours.has(event.identity?.correlationId ?? ''));
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

/**
 * `counts` (scenario-wide and per flow) count publications: duplicated deliveries and chaos copies of one
 * publication count once, two publications twice — also for formats without ids.
 */
function checkCounts(state: RunState, taps: TargetTaps, checks: ScenarioCheck[]): void {
  const { spec, log } = state;
  for (const [type, count] of Object.entries(spec.then.counts)) {
    if (count === undefined) continue;
    const seen = publications(ourEvents(state), taps.isTapRecord, type).length;
    checks.push({
      name: `count of ${type} is ${describeCount(count)}`,
      ok: countMatches(count, seen),
      detail: `${seen} observed`,
    });
  }
  for (const flow of state.flows) {
    const expectation = expectationFor(spec, flow);
    const events = log.byCorrelation(flow.correlationId);
    for (const [type, count] of Object.entries(expectation?.counts ?? {})) {
      if (count === undefined) continue;
      const seen = publications(events, taps.isTapRecord, type).length;
      checks.push({
        name: `${flow.name}: count of ${type} is ${describeCount(count)}`,
        ok: countMatches(count, seen),
        detail: `${seen} observed`,
        correlationId: flow.correlationId,
      });
    }
    for (const [type, count] of Object.entries(expectation?.redelivered ?? {})) {
      if (count === undefined) continue;
      const seen = events.filter((event) => event.redelivered && event.identity?.eventType === type).length;
      checks.push({
        name: `${flow.name}: ${type} redelivered to a service ${describeCount(count)} time(s)`,
        ok: countMatches(count, seen),
        detail: `${seen} redelivery(ies) observed`,
        correlationId: flow.correlationId,
      });
    }
    for (const type of [...(expectation?.never ?? []), ...spec.then.never]) {
      const seen = distinctEvents(events, type).length;
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
function checkPayloads(state: RunState, checks: ScenarioCheck[]): void {
  for (const flow of state.flows) {
    for (const [type, expected] of Object.entries(expectationFor(state.spec, flow)?.payloads ?? {})) {
      const event = distinctEvents(state.log.byCorrelation(flow.correlationId), type)[0];
      const name = `${flow.name}: ${type} carries ${JSON.stringify(expected)}`;
      if (!event) {
        checks.push({ name, ok: false, detail: `no ${type} observed`, correlationId: flow.correlationId });
        continue;
      }
      const mismatch = matchesSubset(event.identity?.payload, expected);
      checks.push({ name, ok: mismatch === undefined, detail: mismatch, correlationId: flow.correlationId });
    }
  }
}

/** The target's invariants (its flows' `invariants`) over what the system published for this scenario's flows. */
async function checkInvariants(state: RunState, taps: TargetTaps, checks: ScenarioCheck[]): Promise<void> {
  const invariants = invariantsOf(state.target);
  if (invariants.length === 0) return;
  const events = publications(ourEvents(state), taps.isTapRecord).map((event) => event.identity);
  const finalState = state.started.state ? await state.started.state() : undefined;
  for (const invariant of invariants) {
    let violations: readonly string[];
    try {
      violations = invariant.check({ events, flows: state.flows.map((flow) => flow.key), state: finalState });
    } catch (caught) {
      violations = [`the invariant threw: ${firstLines(caught, 2)}`];
    }
    checks.push({
      name: `invariant: ${invariant.name}`,
      ok: violations.length === 0,
      ...(violations.length === 0 ? {} : { detail: violations.slice(0, 5).join('; ') }),
    });
  }
}

/**
 * Dead letters: exactly the `then.deadLetters` counts per service, and none anywhere else — a message a service
 * refused in a scenario that did not expect it is a bug (or a missing expectation). Only for targets that watch
 * their dead-letter queues.
 */
async function checkDeadLetters(state: RunState, checks: ScenarioCheck[]): Promise<void> {
  const { spec, started } = state;
  const read = started.deadLetters?.bind(started);
  if (!read) {
    if (Object.keys(spec.then.deadLetters).length > 0) {
      checks.push({
        name: 'dead letters can be read',
        ok: false,
        detail: 'this target does not watch dead-letter queues',
      });
    }
    return;
  }
  // Expected dead letters may still be on their way (retries with backoff come first): wait for them.
  const enough = (): boolean =>
    Object.entries(spec.then.deadLetters).every(([service, count]) => {
      const min = count === undefined ? 0 : typeof count === 'number' ? count : (count.min ?? 0);
      return read().filter((letter) => letter.service === service).length >= min;
    });
  await eventually(() => enough() || undefined, {
    within: Math.max(1, state.deadline - Date.now()),
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

/** `cut` / `kill` / `restart` / `pause` faults must have been applied, or the scenario proved nothing. */
async function checkLifecycleFaults(faults: LifecycleFaults, checks: ScenarioCheck[]): Promise<void> {
  const wanted = faults.faults();
  if (wanted.length === 0) return;
  try {
    await faults.settled();
  } catch (caught) {
    checks.push({ name: 'service faults were applied', ok: false, detail: firstLines(caught, 2) });
    return;
  }
  for (const { fault, fired } of wanted) {
    const service = 'service' in fault && fault.service ? ` ${fault.service}` : '';
    const when = fault.after === undefined ? 'as when started' : `after ${fault.after}`;
    checks.push({
      name: `fault ${fault.kind}${service} ${when} was applied`,
      ok: fired,
      detail: fired ? undefined : `${fault.after ?? '?'} was never observed`,
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
    caught instanceof Error && caught.cause instanceof Error && !message.includes(caught.cause.message)
      ? ` (cause: ${caught.cause.message})`
      : '';
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
