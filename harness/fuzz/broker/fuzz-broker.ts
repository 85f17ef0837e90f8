import { randomBytes } from 'node:crypto';
import {
  describeChaosFault,
  formatChaosPlan,
  type ChaosFault,
  type ChaosPlan,
} from '../../chaos/plan/chaos-fault';
import { renderFaultLog, type FaultLogEntry } from '../../chaos/fault-log';
import { Connection } from 'rabbitmq-client';
import { EventLog } from '../../observe/event-log';
import { accountFlows, type AccountingReport } from '../../observe/flow-accounting';
import { countPublications } from '../../observe/publications';
import { startSystemTap, tapBindings, type StartedSystemTap } from '../../observe/system-tap';
import {
  invariantsOf,
  terminalTypesOf,
  type ServiceRouter,
  type StartedFlow,
  type StartedTarget,
  type Target,
} from '../../target/target';
import { connectionName } from '../../transport/amqp/connection-name';
import {
  closeOwnConnections,
  execRabbitmqctl,
  type RabbitmqctlOptions,
} from '../../transport/amqp/rabbitmqctl';
import type { PropertyName } from '../check-schedule';
import { seededRandom } from '../_internals/seeded-random';
import {
  startBrokerChaos,
  type BrokerChaosOptions,
  type BrokerChaosStats,
  type StartedBrokerChaos,
} from './broker-chaos';
import type { BrokerTarget } from './broker-target';
import { isProxyRouter } from './proxy-router';
import { PROXY_MESSAGE_MAX_MS, proxyMessagePlan } from './proxy-message-plan';
import { brokerTargetAsTarget, isBrokerTarget } from './broker-target-as-target';

/** Options of a live-broker fuzzing session. */
export interface BrokerFuzzOptions {
  /** Default `AMQP_URL`, else the local broker. */
  readonly url?: string;
  /** Flows (orders) to start (default 50). */
  readonly flows?: number;
  /** Seeds the workload and the chaos decisions; printed in the report. */
  readonly seed?: number;
  readonly chaos?: BrokerChaosOptions;
  /**
   * Connection cuts of the services' connections, spread over the run (default 1): an in-process target's own
   * connections (`connectionPrefix`), else one of its managed services' (`TargetService.cut`: through `router`,
   * or by process on a local broker), chosen by the seed.
   */
  readonly cuts?: number;
  /**
   * Route the target's services through a proxy: per-service URLs and cuts. The chaos proxy's router
   * (`startProxyRouter`) also carries the message faults — a seeded plan (`proxyMessagePlan`) of duplicates,
   * delays, reorders (and lost acks when the session cuts) on the real deliveries, instead of copies re-published
   * onto the exchange.
   */
  readonly router?: ServiceRouter;
  /**
   * With the chaos proxy as `router`: apply this plan instead of drawing one from the seed — e.g. a simulated
   * counterexample converted by `planFromSchedule`, replayed against the live services.
   */
  readonly plan?: ChaosPlan;
  /**
   * Restart the broker once (`rabbitmqctl stop_app` / `start_app`) when 60 % of the flows are started. Disturbs
   * every client of the broker: only for the soak, never in `npm test`.
   */
  readonly restartBroker?: boolean;
  /** Flows being started at once (default 20). */
  readonly concurrency?: number;
  /** Pace flow starts (default: as fast as possible), so cuts and restarts land while traffic flows. */
  readonly flowsPerSecond?: number;
  /** Hard limit for every flow to end (default 120 s). */
  readonly timeoutMs?: number;
  /** After the last flow ended and the chaos drained, wait this long without any new delivery (default 750). */
  readonly quietMs?: number;
  readonly rabbitmqctl?: RabbitmqctlOptions;
  /** Progress: flows started and ended. */
  readonly onProgress?: (progress: {
    readonly started: number;
    readonly ended: number;
    readonly total: number;
  }) => void;
  /** One line per phase (cuts, restart, waiting). */
  readonly log?: (line: string) => void;
  /** Aborting stops starting flows and waiting, then cleans up (queues, connections) and reports what was seen. */
  readonly signal?: AbortSignal;
}

/** A broken property of a live-broker session. */
export interface BrokerViolation {
  /** `service`: a service exited mid-run; `unreadable`: messages the adapter could not read. */
  readonly property: PropertyName | 'service' | 'unreadable';
  readonly name: string;
  readonly detail: string;
}

/** What a live-broker session observed. */
export interface BrokerFuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly flows: number;
  readonly elapsedMs: number;
  readonly chaos: Readonly<BrokerChaosStats>;
  /** The message faults applied through the chaos proxy (instead of copies), when the services were routed so. */
  readonly proxyPlan?: ChaosPlan;
  /** The plan was given (`BrokerFuzzOptions.plan`), not drawn from the seed. */
  readonly proxyPlanGiven?: boolean;
  /**
   * With a given plan: its faults still armed when the session ended — their message never came (e.g. the nth
   * delivery of a workload with fewer messages), so that part of the plan was not replayed.
   */
  readonly pendingFaults?: readonly ChaosFault[];
  /** The faults the proxy applied during the session, in order, with their times. */
  readonly faultLog?: readonly FaultLogEntry[];
  readonly cuts: number;
  readonly restarts: number;
  /** Deliveries the tap recorded (duplicates included, never deduplicated). */
  readonly deliveries: number;
  /** What the system published (tap records minus Troupe's own, ids folded; id-less messages one each). */
  readonly publications: number;
  /** Tap records of messages Troupe injected (flow starts, chaos copies). */
  readonly injected: number;
  /** Messages the adapter could not read: counted, shown (first few bodies), never dropped. */
  readonly unreadable: { readonly count: number; readonly samples: readonly string[] };
  /** Jepsen-style per-flow accounting: lost, duplicated, unexpected, recovered. */
  readonly accounting: AccountingReport;
  readonly violations: readonly BrokerViolation[];
  /** True when every flow ended, the accounting is clean and no invariant broke (and it was not aborted). */
  readonly ok: boolean;
  /** The session was aborted (`signal`) before it finished. */
  readonly aborted: boolean;
}

/**
 * Fuzzes a system on a live RabbitMQ through the Target port (a manifest's services as processes, the shop in
 * process, or an older `BrokerTarget`): starts it, records every publication with a durable tap bound to each
 * exchange the way its type requires, duplicates, delays and reorders copies through a man-in-the-middle (copies
 * marked as Troupe's) — or, with the chaos proxy as `router`, the real deliveries of one service by a seeded plan
 * (`proxyMessagePlan`, printed, in the report with the proxy's fault log) — cuts the services' connections (forced redeliveries), optionally restarts the broker, then
 * checks the target's invariants on what the system published — tap records minus Troupe's own, a redelivery of
 * one id once, id-less messages one each — and accounts per flow like Jepsen's total-queue checker. A service
 * that exits mid-run fails the session, named with its exit code and last lines.
 */
export async function fuzzBroker(
  fuzzTarget: Target | BrokerTarget,
  options: BrokerFuzzOptions = {},
): Promise<BrokerFuzzReport> {
  const target = isBrokerTarget(fuzzTarget) ? brokerTargetAsTarget(fuzzTarget) : fuzzTarget;
  const total = options.flows ?? 50;
  const seed = options.seed ?? (Date.now() ^ (process.pid << 16)) | 0;
  const say = options.log ?? (() => undefined);
  const namespace = `fuzz${(seed >>> 0).toString(36)}${randomBytes(2).toString('hex')}`;
  const tapPrefix = `troupe.fuzz.${namespace}.tap`;
  const chaosPrefix = `troupe.fuzz.${namespace}.chaos`;
  const terminalTypes = terminalTypesOf(target);
  const flowDefinitions = target.flows;
  const started = performance.now();
  const random = seededRandom(seed);
  let serviceExited: (() => void) | undefined;

  const system: StartedTarget = await target.start({
    namespace,
    random,
    flows: total,
    ...(options.url !== undefined ? { brokerUrl: options.url } : {}),
    ...(options.router ? { router: options.router } : {}),
    onServiceExit: () => serviceExited?.(),
    log: say,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const url = system.brokerUrl;
  const observer = system.openTransport('fuzz-observer');
  const log = new EventLog({ adapter: system.adapter });
  const terminal = new Set(terminalTypes);
  const ended = new Set<string>();
  const flows: StartedFlow[] = [];
  let lastDelivery = performance.now();
  let cuts = 0;
  let restarts = 0;
  let tap: StartedSystemTap | undefined;
  const chaos: StartedBrokerChaos[] = [];
  const chaosQueues: string[] = [];
  let allEnded: (() => void) | undefined;
  const unsubscribe = log.subscribe((event) => {
    lastDelivery = performance.now();
    const identity = event.identity;
    if (!identity || !terminal.has(identity.eventType)) return;
    ended.add(identity.correlationId);
    if (identity.businessKey !== undefined) ended.add(identity.businessKey);
    report();
  });
  const endedCount = (): number =>
    flows.filter((flow) => ended.has(flow.correlationId) || ended.has(flow.key)).length;
  const report = (): void => {
    const count = endedCount();
    options.onProgress?.({ started: flows.length, ended: count, total });
    if (flows.length === total && count === total) allEnded?.();
  };
  const cuttable = system.services.filter((service) => !service.external);
  const proxy = options.router && isProxyRouter(options.router) ? options.router.proxy : undefined;
  const faultLogFrom = proxy?.faultLog().length ?? 0;
  const requestedCuts = options.cuts ?? 1;
  if (options.plan !== undefined && !proxy)
    throw new Error('fuzzBroker: `plan` needs the chaos proxy as `router` (startProxyRouter)');
  const proxyPlan = proxy
    ? (options.plan ??
      proxyMessagePlan({
        seed,
        services: proxy.services.filter((name) => cuttable.some((service) => service.name === name)),
        flows: total,
        duplicateRate: options.chaos?.duplicateRate ?? 0.1,
        cuts: requestedCuts,
      }))
    : undefined;

  try {
    // Durable (quorum) tap queues: they outlive a broker restart.
    tap = await startSystemTap({
      transport: observer,
      exchanges: system.exchanges,
      directQueues: system.directQueues,
      log,
      queuePrefix: tapPrefix,
      kind: 'quorum',
      vhost: system.vhost,
      ...(options.rabbitmqctl ? { rabbitmqctl: options.rabbitmqctl } : {}),
    });
    if (proxy && proxyPlan) {
      say(`chaos proxy plan (${options.plan ? 'given' : `seed ${seed}`}): ${formatChaosPlan(proxyPlan)}`);
      for (const fault of proxyPlan.faults) proxy.apply(fault);
    }
    for (const [index, exchange] of (proxyPlan ? [] : system.exchanges).entries()) {
      if (tapBindings(exchange) === undefined) {
        say(`chaos: no copies on direct exchange ${exchange.name} (its routing keys are unknown)`);
        continue;
      }
      const queue = `${chaosPrefix}.${index}`;
      chaosQueues.push(queue);
      chaos.push(
        await startBrokerChaos({
          transport: observer,
          exchange,
          queue,
          random: seededRandom((seed ^ 0x5bd1e995) + index),
          ...(options.chaos ? { chaos: options.chaos } : {}),
        }),
      );
    }

    const cutCount = system.connectionPrefix !== undefined || cuttable.length > 0 ? requestedCuts : 0;
    const cutAt = new Set(
      Array.from({ length: cutCount }, (_, i) => Math.floor((total * (i + 1)) / (cutCount + 1))),
    );
    const restartAt = options.restartBroker ? Math.floor(total * 0.6) : -1;
    const concurrency = Math.max(1, options.concurrency ?? 20);
    let next = 0;
    // Faults run one at a time, in flow order: a cut must never run while the broker restarts.
    let faultChain: Promise<void> = Promise.resolve();
    const fault = (name: string, action: () => Promise<void>): Promise<void> => {
      const run = faultChain.then(action).catch((error: unknown) => {
        say(
          `${name} failed (the session goes on): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        );
      });
      faultChain = run;
      return run;
    };
    const cut = async (index: number): Promise<void> => {
      if (system.connectionPrefix !== undefined) {
        const prefix = system.connectionPrefix;
        const closed = await closeOwnConnections({ prefix }, 'troupe fuzz: cut', options.rabbitmqctl);
        cuts++;
        say(`cut ${closed} service connection(s) at flow ${index}`);
        return;
      }
      const service = random.pick(cuttable);
      const what = await service.cut();
      cuts++;
      say(`${what} at flow ${index}`);
    };
    const worker = async (): Promise<void> => {
      try {
        await startFlows();
      } catch (error) {
        next = total; // the other workers start no further flow on a system about to be stopped
        throw error;
      }
    };
    const startFlows = async (): Promise<void> => {
      while (next < total && !options.signal?.aborted && system.failure() === undefined) {
        const index = next++;
        if (cutAt.has(index)) await fault(`cut at flow ${index}`, () => cut(index));
        if (index === restartAt) {
          await fault(`broker restart at flow ${index}`, async () => {
            say(`restarting the broker at flow ${index} (rabbitmqctl stop_app / start_app)`);
            await restartBroker(options.rabbitmqctl);
            restarts++;
            say('broker back');
          });
        }
        if (options.flowsPerSecond !== undefined) {
          const due = started + (index * 1000) / options.flowsPerSecond;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        // Several kinds of flow: take turns, so each is exercised.
        const definition = flowDefinitions[index % Math.max(1, flowDefinitions.length)];
        flows.push(await system.startFlow(index, definition?.name));
        report();
      }
    };
    // allSettled: the system is stopped (finally) only once no worker is still inside startFlow.
    const workers = await Promise.allSettled(Array.from({ length: concurrency }, () => worker()));
    await faultChain;
    const failed = workers.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    if (system.failure() === undefined) {
      say(`all ${flows.length} flows started; waiting for every flow to end`);
      const timeoutMs = options.timeoutMs ?? 120_000;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        allEnded = done;
        serviceExited = done; // a dead service ends the wait: its flows will not end
        options.signal?.addEventListener('abort', done);
        if (options.signal?.aborted || system.failure() !== undefined) done();
        report();
      });
    }
    say('draining the chaos (held and delayed copies)');
    for (const one of chaos) {
      if (!(await one.drain())) say(`chaos: ${one.pending()} copies still unpublished after 30 s`);
    }
    say('waiting for a quiet period');
    // Late duplicates must have had their chance to do damage: wait for a quiet period.
    // Deliveries the proxy delays or holds arrive up to PROXY_MESSAGE_MAX_MS late.
    const quietMs =
      (options.quietMs ?? 750) + (proxyPlan ? Math.max(PROXY_MESSAGE_MAX_MS, longestWait(proxyPlan)) : 0);
    const quietDeadline = performance.now() + Math.max(quietMs * 10, 10_000);
    const pending = (): number => chaos.reduce((sum, one) => sum + one.pending(), 0);
    while (performance.now() < quietDeadline && !options.signal?.aborted && system.failure() === undefined) {
      const silentFor = performance.now() - lastDelivery;
      if (silentFor >= quietMs && pending() === 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(20, quietMs - silentFor)));
    }

    const published = countPublications(log.all());
    const state = system.state ? await system.state() : undefined;
    const violations: BrokerViolation[] = [];
    const exit = system.failure();
    if (exit) {
      violations.push({
        property: 'service',
        name: `service ${exit.service} exited mid-run`,
        detail:
          `${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code ?? '?'}`}; last lines:\n` +
          exit.lastLines.map((line) => `      | ${line}`).join('\n'),
      });
    }
    for (const inv of invariantsOf(target)) {
      for (const detail of inv.check({ events: published.events, flows: flows.map((f) => f.key), state })) {
        violations.push({ property: 'invariant', name: inv.name, detail });
      }
    }
    const atMostOnce = [...new Set(flowDefinitions.flatMap((flow) => flow.atMostOnce ?? flow.terminalTypes))];
    const accounting = accountFlows(log.all(), {
      terminalTypes,
      expectedFlows: flows.map((flow) => flow.correlationId),
      atMostOnce,
    });
    const stats = chaos.reduce<BrokerChaosStats>(
      (sum, one) => ({
        observed: sum.observed + one.stats.observed,
        immediate: sum.immediate + one.stats.immediate,
        delayed: sum.delayed + one.stats.delayed,
        heldBack: sum.heldBack + one.stats.heldBack,
        failed: sum.failed + one.stats.failed,
      }),
      { observed: 0, immediate: 0, delayed: 0, heldBack: 0, failed: 0 },
    );
    return {
      target: target.name,
      seed,
      flows: total,
      elapsedMs: performance.now() - started,
      chaos: stats,
      ...(proxyPlan && proxy
        ? {
            proxyPlan,
            ...(options.plan ? { proxyPlanGiven: true, pendingFaults: proxy.pendingFaults() } : {}),
            faultLog: proxy.faultLog().slice(faultLogFrom),
          }
        : {}),
      cuts,
      restarts,
      deliveries: log.size,
      publications: published.publications.length,
      injected: published.injected,
      unreadable: {
        count: published.unreadable.length,
        samples: published.unreadable
          .slice(0, 3)
          .map((event) => `${event.exchange || '(default)'} ${event.routingKey}: ${preview(event.body)}`),
      },
      accounting,
      violations,
      ok: violations.length === 0 && accounting.valid && !options.signal?.aborted && flows.length === total,
      aborted: options.signal?.aborted ?? false,
    };
  } finally {
    say('stopping');
    unsubscribe();
    for (const one of chaos) await one.stop().catch(() => undefined);
    await tap?.stop().catch(() => undefined);
    await system.stop().catch(() => undefined);
    await observer.close().catch(() => undefined);
    await deleteQueues(url, [...(tap?.queues ?? []), ...chaosQueues]);
  }
}

/** The longest a plan's fault holds a message back: the quiet period waits at least this long. */
function longestWait(plan: ChaosPlan): number {
  return Math.max(
    0,
    ...plan.faults.map((fault) =>
      fault.kind === 'delay' || fault.kind === 'delay-confirm'
        ? fault.ms
        : fault.kind === 'duplicate'
          ? (fault.lagMs ?? 0)
          : fault.kind === 'reorder'
            ? (fault.maxHoldMs ?? 2_000)
            : 0,
    ),
  );
}

function preview(body: Uint8Array): string {
  const text = Buffer.from(body).toString('utf8').replace(/\s+/g, ' ');
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** Restarts the broker's application and waits until it is up again. */
async function restartBroker(options: RabbitmqctlOptions = {}): Promise<void> {
  const command = options.command ?? process.env['RABBITMQCTL'] ?? 'rabbitmqctl';
  const run = options.run ?? execRabbitmqctl;
  await run(command, ['-q', 'stop_app']);
  // The broker must come back whatever happens: everyone on this machine shares it.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      await run(command, ['-q', 'start_app']);
      await run(command, ['-q', 'await_startup']);
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
    }
  }
  throw lastError;
}

/** Deletes the session's own queues (tap, chaos) through a short-lived named admin connection. */
async function deleteQueues(url: string, queues: readonly string[]): Promise<void> {
  const admin = new Connection({
    url,
    connectionName: connectionName('fuzz-admin'),
    retryLow: 100,
    retryHigh: 1000,
  });
  admin.on('error', () => undefined);
  try {
    for (const queue of queues) await admin.queueDelete({ queue }).catch(() => undefined);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** A readable report: totals, chaos, accounting and violations. */
export function formatBrokerFuzzReport(report: BrokerFuzzReport): string {
  const { chaos, accounting } = report;
  const lines = [
    `${report.target} on RabbitMQ: ${report.flows} flows in ${(report.elapsedMs / 1000).toFixed(1)} s, seed ${report.seed}, ` +
      `${report.deliveries} deliveries observed — ${report.aborted ? 'INTERRUPTED' : report.ok ? 'OK' : 'VIOLATIONS'}`,
    `published by the system: ${report.publications} message(s) (tap records minus ${report.injected} injected by Troupe; ` +
      `one per id, one per record for messages without ids); unreadable: ${report.unreadable.count}`,
    ...report.unreadable.samples.map((sample) => `  unreadable: ${sample}`),
    report.proxyPlan
      ? `chaos (through the proxy, on real deliveries): ${report.proxyPlan.faults.length} fault(s) planned, ` +
        `${report.faultLog?.length ?? 0} applied; ${report.cuts} connection cut(s), ${report.restarts} broker restart(s)`
      : `chaos: ${chaos.observed} messages seen; copies re-published with the same ids: ${chaos.immediate} at once, ` +
        `${chaos.delayed} delayed, ${chaos.heldBack} held back and released out of order (${chaos.failed} failed); ` +
        `${report.cuts} connection cut(s), ${report.restarts} broker restart(s)`,
    ...(report.proxyPlan
      ? [
          report.proxyPlanGiven
            ? `  plan (given, not drawn from the seed): ${formatChaosPlan(report.proxyPlan)}`
            : `  plan (seed ${report.seed}; the same seed gives the same plan): ${formatChaosPlan(report.proxyPlan)}`,
          ...(report.pendingFaults ?? []).map(
            (fault) => `  never applied (its message never came): ${describeChaosFault(fault)}`,
          ),
          "  applied faults (the proxy's fault log):",
          ...renderFaultLog(report.faultLog ?? [])
            .split('\n')
            .slice(0, 40)
            .map((line) => `    ${line}`),
          ...((report.faultLog?.length ?? 0) > 40
            ? [`    … ${(report.faultLog?.length ?? 0) - 40} more`]
            : []),
        ]
      : []),
    `accounting (Jepsen-style, per flow): ${report.flows} flows — lost ${accounting.totals.lost}, duplicated ` +
      `${accounting.totals.duplicated}, unexpected ${accounting.totals.unexpected}, recovered ${accounting.totals.recovered}, ` +
      `ok ${accounting.totals.ok}; unreadable deliveries ${accounting.unreadable}`,
  ];
  for (const flow of accounting.flows) {
    const problems = [
      ...(flow.lost ? ['lost (no terminal event)'] : []),
      ...flow.duplicated.map((type) => `duplicated ${type}`),
      ...flow.unexpected,
    ];
    if (problems.length > 0) lines.push(`  flow ${flow.correlationId}: ${problems.join('; ')}`);
  }
  if (report.violations.length > 0) {
    lines.push('violations:');
    for (const v of report.violations.slice(0, 30)) lines.push(`  ✗ [${v.property}] ${v.name}: ${v.detail}`);
    if (report.violations.length > 30) lines.push(`  … ${report.violations.length - 30} more`);
  }
  return lines.join('\n');
}
