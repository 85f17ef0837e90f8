/** Why a target could not do what a runner asked. Stable codes. */
export type TargetErrorCode =
  /** A service name the target does not have. */
  | 'unknown-service'
  /** A flow name the target does not have. */
  | 'unknown-flow'
  /** start/stop/kill/restart of an `external: true` service. */
  | 'not-managed'
  /** The service's process could not be spawned (command not found, bad cwd). */
  | 'spawn-failed'
  /** The service exited before it was ready. */
  | 'exited-before-ready'
  /** The readiness probe did not succeed in time. */
  | 'ready-timeout'
  /** A service exited mid-run without being asked to. */
  | 'service-exited'
  /** An exchange exists with another type than the manifest says. */
  | 'exchange-mismatch'
  /** An exchange or queue check on the broker failed. */
  | 'broker-check-failed'
  /** A flow could not be started (publish refused, HTTP not 2xx, command failed). */
  | 'flow-start-failed'
  /** The operation needs something this target was not given (e.g. a router to cut a process's connection). */
  | 'unsupported';

/** Errors of harness/target: a stable `code`, the service when one is concerned, and its last lines of output. */
export class TargetError extends Error {
  readonly code: TargetErrorCode;
  readonly service: string | undefined;
  readonly lastLines: readonly string[];
  constructor(
    code: TargetErrorCode,
    message: string,
    details: { service?: string; lastLines?: readonly string[]; cause?: unknown } = {},
  ) {
    const tail =
      details.lastLines && details.lastLines.length > 0
        ? `\n  last ${details.lastLines.length} line(s) of ${details.service ?? 'output'}:\n${details.lastLines
            .map((line) => `    | ${line}`)
            .join('\n')}`
        : '';
    super(message + tail, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'TargetError';
    this.code = code;
    this.service = details.service;
    this.lastLines = details.lastLines ?? [];
  }
}
