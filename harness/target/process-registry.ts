import type { ChildProcess } from 'node:child_process';

/*
 * Every service process Troupe spawned and has not seen exit. Services run in their own process group (so a
 * Ctrl-C in the terminal does not reach them half-way and a stop reaches their children too), which means nobody
 * else kills them: this registry does, when the Troupe process exits or is interrupted, whatever the runner was
 * doing at the time.
 */

const live = new Set<ChildProcess>();
let installed = false;

/** Tracks a spawned process group until its leader exits. */
export function trackProcess(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  install();
}

/** Processes still alive (for tests and diagnostics). */
export function liveProcessCount(): number {
  return live.size;
}

/** SIGKILLs every tracked process group at once (synchronous: safe in an `exit` handler). */
export function killAllProcessGroups(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
}

/** Sends `signal` to the process group of `child` (its leader's pid), falling back to the process itself. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    try {
      return child.kill(signal);
    } catch {
      return false;
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllProcessGroups);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Another handler (the CLI's graceful abort) owns this signal: it stops the target, and `exit` is the
      // backstop. Alone, we must not swallow the signal: kill the services, then die of it as Node would.
      if (process.listenerCount(signal) > 1) return;
      killAllProcessGroups();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
