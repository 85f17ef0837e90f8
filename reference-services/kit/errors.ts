/** Stable codes of the errors the service kit throws. */
export type ServiceErrorCode =
  | 'store-transaction-failed'
  | 'store-unavailable'
  | 'store-closed'
  | 'store-busy'
  | 'injected-failure'
  | 'invalid-command'
  | 'unknown-customer'
  | 'unknown-order'
  | 'invalid-config'
  | 'relay-publish-failed'
  | 'unprocessable-event';

/** An error of the reference services: a stable `code` for machines, a message naming what and where, a `cause`. */
export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  constructor(code: ServiceErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
  }
}

/**
 * Thrown by a handler for an event it can never process (e.g. it names an order this service never saw): the
 * processor dead-letters it at once instead of retrying.
 */
export class UnprocessableEventError extends ServiceError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('unprocessable-event', message, options);
    this.name = 'UnprocessableEventError';
  }
}
