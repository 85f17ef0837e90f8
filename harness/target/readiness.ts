import net from 'node:net';
import { Connection } from 'rabbitmq-client';
import { connectionName } from '../transport/amqp/connection-name';

/** A readiness check, resolved from a manifest's `ready` (see `readyConfigSchema`). */
export type ReadinessProbe =
  | { readonly kind: 'queue'; readonly queue: string; readonly brokerUrl: string }
  | { readonly kind: 'log'; readonly pattern: string | RegExp }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'http'; readonly url: string };

/** What a probe can look at while it waits. */
export interface ReadinessSubject {
  /** Lines the service wrote since it was (re)started. */
  lines(): readonly string[];
  /** Resolves on each new line (or exit); lets the log probe wait without polling. */
  onLine(listener: () => void): () => void;
}

const POLL_MS = 100;

/** `/…/flags` in a string manifest means a regular expression. */
export function logPattern(pattern: string | RegExp): string | RegExp {
  if (pattern instanceof RegExp) return pattern;
  const match = /^\/(.+)\/([dgimsuy]*)$/.exec(pattern);
  return match ? new RegExp(match[1] as string, match[2]) : pattern;
}

/** A one-line description for messages: `a consumer on queue "payments"`. */
export function describeProbe(probe: ReadinessProbe): string {
  switch (probe.kind) {
    case 'queue':
      return `a consumer on queue "${probe.queue}"`;
    case 'log':
      return `a log line ${probe.pattern instanceof RegExp ? `matching ${String(probe.pattern)}` : `containing "${probe.pattern}"`}`;
    case 'tcp':
      return `a listener on ${probe.host}:${probe.port}`;
    case 'http':
      return `a 2xx answer from GET ${probe.url}`;
  }
}

/**
 * Waits until `probe` succeeds; resolves true, or false once `signal` aborts (the caller's timeout, the
 * service's exit). Bounded by the caller: it never waits on its own.
 */
export async function waitReady(
  probe: ReadinessProbe,
  subject: ReadinessSubject,
  signal: AbortSignal,
): Promise<boolean> {
  if (probe.kind === 'log') return waitForLine(probe.pattern, subject, signal);
  if (probe.kind === 'queue') return waitForConsumer(probe, signal);
  while (!signal.aborted) {
    const ok = probe.kind === 'tcp' ? await tcpOpen(probe.host, probe.port) : await httpOk(probe.url, signal);
    if (ok) return true;
    await sleep(POLL_MS, signal);
  }
  return false;
}

function waitForLine(
  pattern: string | RegExp,
  subject: ReadinessSubject,
  signal: AbortSignal,
): Promise<boolean> {
  const matches = (line: string): boolean =>
    typeof pattern === 'string'
      ? line.includes(pattern)
      : new RegExp(pattern.source, pattern.flags).test(line);
  return new Promise((resolve) => {
    let seen = 0;
    const check = (): void => {
      const lines = subject.lines();
      for (; seen < lines.length; seen++) {
        if (matches(lines[seen] as string)) {
          done(true);
          return;
        }
      }
      if (signal.aborted) done(false);
    };
    const unsubscribe = subject.onLine(check);
    const onAbort = (): void => done(false);
    signal.addEventListener('abort', onAbort);
    const done = (ok: boolean): void => {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    check();
  });
}

async function waitForConsumer(
  probe: { readonly queue: string; readonly brokerUrl: string },
  signal: AbortSignal,
): Promise<boolean> {
  const connection = new Connection({
    url: probe.brokerUrl,
    connectionName: connectionName('ready-probe'),
    retryLow: 100,
    retryHigh: 1_000,
  });
  connection.on('error', () => undefined);
  try {
    while (!signal.aborted) {
      // Passive: never creates the queue (the service owns it); a missing queue is "not ready yet".
      const found = await connection
        .queueDeclare({ queue: probe.queue, passive: true })
        .catch(() => undefined);
      if (found !== undefined && found.consumerCount > 0) return true;
      await sleep(POLL_MS, signal);
    }
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function httpOk(url: string, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
