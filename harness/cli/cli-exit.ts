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
