import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { troupeEnvelopeAdapter, type EnvelopeAdapter } from '../events/envelope-adapter';
import type { Transport } from '../transport/transport';
import type { ChangeSource } from './event-log';
import { accountFlows, type FlowAccount } from './flow-accounting';
import { ObserveError } from './observe-error';
import type { ObservedEvent, ServiceOf } from './observed-event';
import { PgEventStore } from './pg-event-store';
import { renderHtmlReport } from './render-html';
import { renderMermaid } from './render-mermaid';
import { renderTimeline } from './render-timeline';
import { startSystemTap, type ObservedExchange } from './system-tap';
import { startTap } from './tap';

/** Where `trace` reads a flow from. */
export type TraceSource =
  | {
      /** The persistent event store a tap wrote to (`PgEventStore.persist`). */
      readonly kind: 'store';
      readonly namespace: string;
      readonly connectionString?: string;
    }
  | {
      /** A live tap on `exchange` for up to `seconds`, stopping early once the flow is quiet for `idleMs`. */
      readonly kind: 'live';
      readonly transport: Transport;
      /** The exchange to tap (a topic exchange, bound with `#`). Ignored when `exchanges` is given. */
      readonly exchange: string;
      /**
       * Every exchange of the system with its type (a target's `exchanges`), plus queues it sends to directly:
       * tapped the way each type requires (`startSystemTap`).
       */
      readonly exchanges?: readonly ObservedExchange[];
      readonly directQueues?: readonly string[];
      readonly seconds: number;
      readonly idleMs?: number;
      readonly adapter?: EnvelopeAdapter;
      /** Called once the tap is bound: trigger the flow after this, or its first events are missed. */
      readonly onListening?: () => void;
      /**
       * Starts the flow to trace once the tap is bound and resolves with its correlation id, which is traced
       * instead of `TraceOptions.correlationId` (`troupe trace --start`).
       */
      readonly startFlow?: () => Promise<string>;
      /** Also persist what the tap saw into this store namespace. */
      readonly persistNamespace?: string;
      readonly connectionString?: string;
    };

export interface TraceOptions {
  readonly correlationId: string;
  readonly source: TraceSource;
  /** Directory for `<correlationId>.mmd` and `<correlationId>.html`; nothing is written when undefined. */
  readonly outDir?: string;
  readonly serviceOf?: ServiceOf;
  /** Event types that end a flow: when given, the result carries the flow's Jepsen-style account. */
  readonly terminalTypes?: readonly string[];
}

/** One traced flow: its deliveries and their renderings (text timeline, Mermaid, HTML), plus a summary. */
export interface TraceResult {
  readonly events: readonly ObservedEvent[];
  readonly timeline: string;
  readonly mermaid: string;
  readonly html: string;
  /** Paths written, when `outDir` was given. */
  readonly files: readonly string[];
  /** The flow's account (lost / duplicated / recovered), when `terminalTypes` was given. */
  readonly account: FlowAccount | undefined;
  /** One line: terminal events, duplicates, redeliveries — for the CLI. */
  readonly summary: string;
  /** The flow traced (the one `startFlow` started, when given). */
  readonly correlationId: string;
}

/**
 * Reads one flow (from the PostgreSQL event store, or a live tap), renders its timeline, Mermaid diagram and
 * HTML report, and writes the latter two to `outDir`. Fails with `trace-not-found` when nothing was observed.
 */
export async function traceFlow(traceOptions: TraceOptions): Promise<TraceResult> {
  const { events, correlationId } = await load(traceOptions);
  const options = { ...traceOptions, correlationId };
  if (events.length === 0) {
    const where =
      options.source.kind === 'store'
        ? `event store namespace "${options.source.namespace}"`
        : `${
            options.source.exchanges
              ? `exchanges ${options.source.exchanges.map((e) => `"${e.name}"`).join(', ')}`
              : `exchange "${options.source.exchange}"`
          } during ${options.source.seconds} s`;
    throw new ObserveError(
      'trace-not-found',
      `No deliveries for correlation ${options.correlationId} in ${where}`,
    );
  }
  const render = options.serviceOf ? { serviceOf: options.serviceOf } : {};
  const timeline = renderTimeline(events, {
    ...render,
    title: `Flow ${options.correlationId} (${events.length} deliveries)`,
  });
  const mermaid = renderMermaid(events, render);
  const html = renderHtmlReport(events, { ...render, title: `Flow ${options.correlationId}` });
  const account = options.terminalTypes
    ? accountFlows(events, { terminalTypes: options.terminalTypes }).flows[0]
    : undefined;
  const summary = summarize(events, account);
  const files: string[] = [];
  if (options.outDir !== undefined) {
    await mkdir(options.outDir, { recursive: true });
    const base = join(options.outDir, options.correlationId.replace(/[^A-Za-z0-9_.-]/g, '_'));
    await writeFile(`${base}.mmd`, mermaid);
    await writeFile(`${base}.html`, html);
    files.push(`${base}.mmd`, `${base}.html`);
  }
  return { events, timeline, mermaid, html, files, account, summary, correlationId };
}

async function load(
  options: TraceOptions,
): Promise<{ events: readonly ObservedEvent[]; correlationId: string }> {
  const source = options.source;
  if (source.kind === 'store') {
    const store = await PgEventStore.open({
      namespace: source.namespace,
      ...(source.connectionString ? { connectionString: source.connectionString } : {}),
    });
    try {
      return { events: await store.flow(options.correlationId), correlationId: options.correlationId };
    } finally {
      await store.close();
    }
  }
  const store = source.persistNamespace
    ? await PgEventStore.open({
        namespace: source.persistNamespace,
        ...(source.connectionString ? { connectionString: source.connectionString } : {}),
      })
    : undefined;
  const adapter = source.adapter ?? troupeEnvelopeAdapter();
  const tap = await (
    source.exchanges
      ? startSystemTap({
          transport: source.transport,
          exchanges: source.exchanges,
          ...(source.directQueues ? { directQueues: source.directQueues } : {}),
          adapter,
        })
      : startTap({ transport: source.transport, exchange: source.exchange, adapter })
  ).catch(async (error: unknown) => {
    await store?.close();
    throw error;
  });
  const stopPersisting = store?.persist(tap.log);
  source.onListening?.();
  try {
    // The tap records everything meanwhile: events of the flow that arrive before its id is known are kept.
    const correlationId = source.startFlow ? await source.startFlow() : options.correlationId;
    await untilQuiet(
      tap.log.forCorrelation(correlationId),
      source.seconds * 1000,
      source.idleMs ?? 1000,
      tap.log.byCorrelation(correlationId).length > 0,
    );
    return { events: [...tap.log.byCorrelation(correlationId)], correlationId };
  } finally {
    stopPersisting?.();
    try {
      await tap.stop();
      await store?.flush();
    } finally {
      // A failed stop or write must not leak the store's pool.
      await store?.close();
    }
  }
}

function summarize(events: readonly ObservedEvent[], account: FlowAccount | undefined): string {
  const distinct = new Set(events.map((event) => event.identity?.eventId).filter((id) => id !== undefined));
  const redelivered = events.filter((event) => event.redelivered).length;
  const parts = [
    `${events.length} deliveries of ${distinct.size} distinct events`,
    `${redelivered} redelivered`,
  ];
  if (account) {
    parts.push(
      account.lost ? 'LOST (no terminal event)' : `terminal: ${account.terminals.join(', ')}`,
      account.duplicated.length > 0 ? `DUPLICATED ${account.duplicated.join(', ')}` : 'no duplicated effects',
    );
    if (account.recovered) parts.push('recovered from repeated deliveries');
  }
  return parts.join('; ');
}

/**
 * Waits until the flow has been quiet for `idleMs` after its first delivery, or `totalMs` passed. Before the
 * first delivery only the total deadline applies (the flow may not have started yet).
 */
function untilQuiet(
  source: ChangeSource,
  totalMs: number,
  idleMs: number,
  alreadyStarted = false,
): Promise<void> {
  return new Promise((resolve) => {
    let idle: NodeJS.Timeout | undefined = alreadyStarted ? setTimeout(() => done(), idleMs) : undefined;
    const done = (): void => {
      clearTimeout(idle);
      clearTimeout(deadline);
      unsubscribe();
      resolve();
    };
    const deadline = setTimeout(done, totalMs);
    const unsubscribe = source.subscribe(() => {
      clearTimeout(idle);
      idle = setTimeout(done, idleMs);
    });
  });
}
