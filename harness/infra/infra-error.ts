/**
 * Stable codes of infrastructure acquisition failures.
 * - `invalid-url`: `AMQP_URL` / `DATABASE_URL` is not a URL of the right scheme.
 * - `container-start-failed`: Testcontainers could not start RabbitMQ or PostgreSQL.
 * - `stop-failed`: stopping what was started failed.
 */
export type InfraErrorCode = 'invalid-url' | 'container-start-failed' | 'stop-failed';

/** An infrastructure error: a stable `code`, a message naming what and where, and the `cause`. */
export class InfraError extends Error {
  readonly code: InfraErrorCode;

  constructor(code: InfraErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InfraError';
    this.code = code;
  }
}
