/**
 * Ends a command with an exit code and a message, without a stack trace: 2 for usage and spec errors, 1 for
 * failures. `main.ts` prints the message to stderr and sets the exit code.
 */
export class CliExit extends Error {
  readonly code = 'cli-exit';
  readonly exitCode: number;
  constructor(exitCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliExit';
    this.exitCode = exitCode;
  }
}

/**
 * After a command has finished: if something still keeps the event loop alive (a leaked connection or timer in a
 * target), say so and exit anyway after `graceMs`, so CI never hangs on a finished run. The timer is unref'd: a
 * clean process exits at once without waiting for it.
 */
export function exitWhenDone(graceMs = 5_000): void {
  setTimeout(() => {
    console.error(`troupe: the run finished but something kept the process alive for ${graceMs} ms; exiting`);
    process.exit(process.exitCode ?? 0);
  }, graceMs).unref();
}
