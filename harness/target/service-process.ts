import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { killGroup, trackProcess } from './process-registry';
import { describeProbe, waitReady, type ReadinessProbe } from './readiness';
import type { ServiceExit, ServiceOutputLine, TargetService } from './target';
import { TargetError } from './target-error';

/** How to run one service as a child process. */
export interface ServiceProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Merged over the parent's environment; the broker URL variable is added per start. */
  readonly env: Readonly<Record<string, string>>;
  /** Environment variable carrying the broker URL (default AMQP_URL). */
  readonly brokerUrlEnv: string;
  readonly queues: readonly string[];
  /** Built once the broker URL the service gets is known (a queue probe needs it). */
  readonly ready?: (brokerUrl: string) => ReadinessProbe;
  readonly readyTimeoutMs: number;
  readonly stopSignal: NodeJS.Signals;
  readonly graceMs: number;
}

/** Lines kept per service and run (older ones are dropped, counted in the first line kept). */
const MAX_LINES = 5_000;
const TAIL = 20;

/**
 * One service run as a child process in its own process group: started with the broker URL it must use, its
 * stdout and stderr kept line by line for the run, ready when its probe says so (bounded; on timeout or an early
 * exit the error carries its last 20 lines), stopped with its signal, a grace period, then SIGKILL to the whole
 * group. An exit nobody asked for is reported to `onUnexpectedExit`.
 */
export class ServiceProcess implements TargetService {
  readonly name: string;
  readonly external = false;
  readonly queues: readonly string[];
  private child: ChildProcess | undefined;
  private exited: Promise<ServiceExit> | undefined;
  private expectingExit = false;
  /** Became ready since its last spawn: only then is an exit "mid-run" (before, `start` reports it). */
  private wasReady = false;
  private lines: ServiceOutputLine[] = [];
  private linesSinceStart = 0;
  private dropped = 0;
  private readonly lineListeners = new Set<() => void>();
  private url: string | undefined;

  constructor(
    private readonly spec: ServiceProcessSpec,
    private readonly options: {
      /** The broker URL the service gets (a router may give one per service). */
      readonly brokerUrl: () => Promise<string>;
      readonly onUnexpectedExit: (exit: ServiceExit) => void;
      readonly cut: () => Promise<string>;
      readonly log?: (line: string) => void;
      readonly signal?: AbortSignal;
    },
  ) {
    this.name = spec.name;
    this.queues = spec.queues;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Pid of its process-group leader while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get brokerUrl(): string | undefined {
    return this.url;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.url ??= await this.options.brokerUrl();
    const child = this.spawn(this.url);
    const probe = this.spec.ready?.(this.url);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.spec.readyTimeoutMs);
    const exited = this.exited as Promise<ServiceExit>;
    let exitedEarly: ServiceExit | undefined;
    const onExit = exited.then((exit) => {
      exitedEarly = exit;
      timeout.abort();
    });
    try {
      const spawned = await new Promise<Error | undefined>((resolve) => {
        child.once('spawn', () => resolve(undefined));
        child.once('error', resolve);
      });
      if (spawned) {
        throw new TargetError(
          'spawn-failed',
          `service ${this.name}: cannot run \`${this.commandLine()}\` in ${this.spec.cwd}: ${spawned.message}`,
          { service: this.name, cause: spawned },
        );
      }
      const signal = this.options.signal
        ? AbortSignal.any([timeout.signal, this.options.signal])
        : timeout.signal;
      const ready = probe === undefined ? true : await waitReady(probe, this.readinessSubject(), signal);
      if (exitedEarly) {
        throw new TargetError(
          'exited-before-ready',
          `service ${this.name} exited before it was ready (${describeExit(exitedEarly)})`,
          { service: this.name, lastLines: exitedEarly.lastLines },
        );
      }
      if (!ready && probe !== undefined) {
        throw new TargetError(
          'ready-timeout',
          `service ${this.name} was not ready within ${this.spec.readyTimeoutMs} ms (waited for ${describeProbe(probe)})`,
          { service: this.name, lastLines: this.tail(TAIL) },
        );
      }
      this.wasReady = true;
      this.options.log?.(`service ${this.name} ready (pid ${child.pid ?? '?'})`);
    } catch (error) {
      // Nothing half-started stays behind.
      await this.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
      void onExit;
    }
  }

  async stop(): Promise<ServiceExit | undefined> {
    const child = this.child;
    if (!child || !this.exited) return undefined;
    const exited = this.exited;
    this.expectingExit = true;
    killGroup(child, this.spec.stopSignal);
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([
      exited.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.spec.graceMs))),
    ]);
    clearTimeout(timer);
    if (!graceful)
      this.options.log?.(
        `service ${this.name}: no exit ${this.spec.graceMs} ms after ${this.spec.stopSignal}, SIGKILL`,
      );
    // The leader may be gone while its children linger in the group: SIGKILL the group in every case.
    killGroup(child, 'SIGKILL');
    return exited;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ServiceExit | undefined> {
    const child = this.child;
    if (!child || !this.exited) return undefined;
    const exited = this.exited;
    this.expectingExit = true;
    killGroup(child, signal);
    if (signal !== 'SIGKILL') {
      // A catchable signal may be ignored; the caller asked for the process to be gone.
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), this.spec.graceMs);
      await exited;
      clearTimeout(timer);
    }
    const exit = await exited;
    killGroup(child, 'SIGKILL');
    return exit;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  cut(): Promise<string> {
    return this.options.cut();
  }

  output(): readonly ServiceOutputLine[] {
    return this.lines;
  }

  tail(lines = TAIL): readonly string[] {
    return this.lines
      .slice(-lines)
      .map((line) => (line.stream === 'stderr' ? `[stderr] ${line.text}` : line.text));
  }

  private spawn(brokerUrl: string): ChildProcess {
    this.linesSinceStart = 0;
    this.expectingExit = false;
    this.wasReady = false;
    const child = spawn(this.spec.command, [...this.spec.args], {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env, [this.spec.brokerUrlEnv]: brokerUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a stop reaches the service's children, a terminal Ctrl-C does not reach it.
      detached: true,
    });
    this.child = child;
    trackProcess(child);
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (source) createInterface({ input: source }).on('line', (text) => this.addLine(stream, text));
    }
    this.exited = new Promise<ServiceExit>((resolve) => {
      // 'close' (not 'exit'): every line the process wrote has been read by then.
      child.once('close', (code, signal) => {
        const exit: ServiceExit = {
          service: this.name,
          code,
          signal,
          expected: this.expectingExit,
          lastLines: this.tail(TAIL),
        };
        if (this.child === child) this.child = undefined;
        this.notifyLines();
        resolve(exit);
        if (!exit.expected && this.wasReady) this.options.onUnexpectedExit(exit);
      });
      child.once('error', () => {
        // spawn failures emit 'error' and then 'close'; nothing else to do here.
      });
    });
    return child;
  }

  private addLine(stream: 'stdout' | 'stderr', text: string): void {
    this.lines.push({ at: Date.now(), stream, text });
    this.linesSinceStart++;
    if (this.lines.length > MAX_LINES) {
      this.dropped += this.lines.length - MAX_LINES;
      this.lines = this.lines.slice(-MAX_LINES);
    }
    this.notifyLines();
  }

  private notifyLines(): void {
    for (const listener of [...this.lineListeners]) listener();
  }

  private readinessSubject(): { lines(): readonly string[]; onLine(listener: () => void): () => void } {
    return {
      // Only lines of this start count: a restart must not be "ready" from the previous run's output.
      lines: () =>
        this.lines
          .slice(this.lines.length - Math.min(this.linesSinceStart, this.lines.length))
          .map((line) => line.text),
      onLine: (listener) => {
        this.lineListeners.add(listener);
        return () => this.lineListeners.delete(listener);
      },
    };
  }

  private commandLine(): string {
    return [this.spec.command, ...this.spec.args].join(' ');
  }

  /** Lines dropped from the front because the service wrote more than the run keeps. */
  get droppedLines(): number {
    return this.dropped;
  }
}

/** `exit code 3`, `killed by SIGSEGV`. */
export function describeExit(exit: Pick<ServiceExit, 'code' | 'signal'>): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code ?? '?'}`;
}
