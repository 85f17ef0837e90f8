import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import type { EventIdentity } from '../../events/envelope-adapter';
import { EventLog } from '../../observe/event-log';
import { accountFlows, type AccountingReport } from '../../observe/flow-accounting';
import { recordingHandler } from '../../observe/tap';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../transport/amqp/amqp-transport';
import { connectionName } from '../../transport/amqp/connection-name';
import {
  closeOwnConnections,
  execRabbitmqctl,
  type RabbitmqctlOptions,
} from '../../transport/amqp/rabbitmqctl';
import type { Subscription } from '../../transport/transport';
import type { Violation } from '../check-schedule';
import { seededRandom } from '../_internals/seeded-random';
import { startBrokerChaos, type BrokerChaosOptions, type BrokerChaosStats } from './broker-chaos';
import type { BrokerTarget, StartedFlow } from './broker-target';

/** Options of a live-broker fuzzing session. */
export interface BrokerFuzzOptions {
  /** Default `AMQP_URL`, else the local broker. */
  readonly url?: string;
  /** Flows (orders) to start (default 50). */
  readonly flows?: number;
  /** Seeds the workload and the chaos decisions; printed in the report. */
  readonly seed?: number;
  readonly chaos?: BrokerChaosOptions;
  /** Connection cuts of the services' connections, spread over the run (default 1; needs `connectionPrefix`). */
  readonly cuts?: number;
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

/** What a live-broker session observed. */
export interface BrokerFuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly flows: number;
  readonly elapsedMs: number;
  readonly chaos: Readonly<BrokerChaosStats>;
  readonly cuts: number;
  readonly restarts: number;
  /** Deliveries the tap recorded (duplicates included, never deduplicated). */
  readonly deliveries: number;
  /** Jepsen-style per-flow accounting: lost, duplicated, unexpected, recovered. */
  readonly accounting: AccountingReport;
  readonly violations: readonly Violation[];
  /** True when every flow ended, the accounting is clean and no invariant broke (and it was not aborted). */
  readonly ok: boolean;
  /** The session was aborted (`signal`) before it finished. */
  readonly aborted: boolean;
}

/**
 * Fuzzes a system on a live RabbitMQ: starts `target`, records every delivery with a durable tap, duplicates,
 * delays and reorders copies through a man-in-the-middle, cuts the services' own connections (forced
 * redeliveries), optionally restarts the broker, then checks the target's invariants on what the tap saw and
 * accounts per flow like Jepsen's total-queue checker.
 */
export async function fuzzBroker(
  target: BrokerTarget,
  options: BrokerFuzzOptions = {},
): Promise<BrokerFuzzReport> {
  const url = options.url ?? process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
  const total = options.flows ?? 50;
  const seed = options.seed ?? (Date.now() ^ (process.pid << 16)) | 0;
  const say = options.log ?? (() => undefined);
  const namespace = `fuzz${(seed >>> 0).toString(36)}${randomBytes(2).toString('hex')}`;
  const tapQueue = `troupe.fuzz.${namespace}.tap`;
  const chaosQueue = `troupe.fuzz.${namespace}.chaos`;
  const started = performance.now();

  const system = await target.start({ url, namespace, random: seededRandom(seed), flows: total });
  const observer = new AmqpTransport({
    url,
    connectionName: connectionName('fuzz-observer'),
    onError: () => undefined,
    // Outlives a broker restart (stop_app / start_app takes seconds).
    acquireTimeoutMs: 60_000,
  });
  const log = new EventLog({ adapter: target.adapter });
  const terminal = new Set(target.terminalTypes);
  const ended = new Set<string>();
  const flows: StartedFlow[] = [];
  let lastDelivery = performance.now();
  let cuts = 0;
  let restarts = 0;
  let tap: Subscription | undefined;
  let chaos: Awaited<ReturnType<typeof startBrokerChaos>> | undefined;
  let allEnded: (() => void) | undefined;
  const unsubscribe = log.subscribe((event) => {
    lastDelivery = performance.now();
    const identity = event.identity;
    if (!identity || !terminal.has(identity.eventType)) return;
    ended.add(identity.correlationId);
    if (identity.businessKey !== undefined) ended.add(identity.businessKey);
    report();
  });
  const endedCount = (): number => flows.filter((flow) => ended.has(flow.correlationId ?? flow.key)).length;
  const report = (): void => {
    const count = endedCount();
    options.onProgress?.({ started: flows.length, ended: count, total });
    if (flows.length === total && count === total) allEnded?.();
  };

  try {
    await observer.connected();
    await observer.declare({
      exchanges: [{ name: system.exchange, type: 'topic' }],
      queues: [{ name: tapQueue, exchange: system.exchange, bindings: ['#'], kind: 'quorum' }],
    });
    tap = await observer.consume(tapQueue, recordingHandler(log), { prefetch: 500 });
    chaos = await startBrokerChaos({
      transport: observer,
      exchange: system.exchange,
      queue: chaosQueue,
      random: seededRandom(seed ^ 0x5bd1e995),
      ...(options.chaos ? { chaos: options.chaos } : {}),
    });

    const cutAt = new Set(
      Array.from({ length: system.connectionPrefix ? (options.cuts ?? 1) : 0 }, (_, i) =>
        Math.floor((total * (i + 1)) / ((options.cuts ?? 1) + 1)),
      ),
    );
    const restartAt = options.restartBroker ? Math.floor(total * 0.6) : -1;
    const concurrency = Math.max(1, options.concurrency ?? 20);
    let next = 0;
    // Faults run one at a time, in flow order: a cut must never run while the broker is down for a restart.
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
    const worker = async (): Promise<void> => {
      try {
        await startFlows();
      } catch (error) {
        next = total; // the other workers start no further flow on a system about to be stopped
        throw error;
      }
    };
    const startFlows = async (): Promise<void> => {
      while (next < total && !options.signal?.aborted) {
        const index = next++;
        if (cutAt.has(index) && system.connectionPrefix) {
          const prefix = system.connectionPrefix;
          await fault(`cut at flow ${index}`, async () => {
            const closed = await closeOwnConnections({ prefix }, 'troupe fuzz: cut', options.rabbitmqctl);
            cuts++;
            say(`cut ${closed} service connection(s) at flow ${index}`);
          });
        }
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
        flows.push(await system.startFlow(index));
        report();
      }
    };
    // allSettled: the system is stopped (finally) only once no worker is still inside startFlow.
    const workers = await Promise.allSettled(Array.from({ length: concurrency }, () => worker()));
    await faultChain;
    const failed = workers.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    say(`all ${total} flows started; waiting for every flow to end`);
    const timeoutMs = options.timeoutMs ?? 120_000;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      allEnded = done;
      options.signal?.addEventListener('abort', done);
      if (options.signal?.aborted) done();
      report();
    });
    say('draining the chaos (held and delayed copies)');
    if (!(await chaos.drain())) say(`chaos: ${chaos.pending()} copies still unpublished after 30 s`);
    say('waiting for a quiet period');
    // Late duplicates must have had their chance to do damage: wait for a quiet period.
    const quietMs = options.quietMs ?? 750;
    const quietDeadline = performance.now() + Math.max(quietMs * 10, 10_000);
    while (performance.now() < quietDeadline && !options.signal?.aborted) {
      const silentFor = performance.now() - lastDelivery;
      if (silentFor >= quietMs && chaos.pending() === 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(20, quietMs - silentFor)));
    }

    const distinct = new Map<string, EventIdentity>();
    for (const event of log.all()) {
      if (event.identity && !distinct.has(event.identity.eventId))
        distinct.set(event.identity.eventId, event.identity);
    }
    const state = system.state ? await system.state() : undefined;
    const violations: Violation[] = [];
    for (const inv of target.invariants) {
      for (const detail of inv.check({
        events: [...distinct.values()],
        flows: flows.map((f) => f.key),
        state,
      })) {
        violations.push({ property: 'invariant', name: inv.name, detail });
      }
    }
    const accounting = accountFlows(log.all(), {
      terminalTypes: target.terminalTypes,
      expectedFlows: flows.map((flow) => flow.correlationId ?? flow.key),
      atMostOnce: target.atMostOnce ?? target.terminalTypes,
    });
    return {
      target: target.name,
      seed,
      flows: total,
      elapsedMs: performance.now() - started,
      chaos: { ...chaos.stats },
      cuts,
      restarts,
      deliveries: log.size,
      accounting,
      violations,
      ok: violations.length === 0 && accounting.valid && !options.signal?.aborted,
      aborted: options.signal?.aborted ?? false,
    };
  } finally {
    say('stopping');
    unsubscribe();
    await chaos?.stop().catch(() => undefined);
    await tap?.close().catch(() => undefined);
    await system.stop().catch(() => undefined);
    await observer.close().catch(() => undefined);
    await deleteQueues(url, [tapQueue, chaosQueue]);
  }
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
    `chaos: ${chaos.observed} messages seen; copies re-published with the same ids: ${chaos.immediate} at once, ` +
      `${chaos.delayed} delayed, ${chaos.heldBack} held back and released out of order (${chaos.failed} failed); ` +
      `${report.cuts} connection cut(s), ${report.restarts} broker restart(s)`,
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
