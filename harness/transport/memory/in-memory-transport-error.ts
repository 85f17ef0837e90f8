/** Stable codes of the in-memory transport's errors (named after the AMQP condition they mimic). */
export type InMemoryTransportErrorCode =
  | 'exchange-not-found'
  | 'queue-not-found'
  | 'precondition-failed'
  | 'transport-closed'
  | 'no-consumer'
  | 'unknown-delivery'
  | 'wrong-mode'
  | 'unknown-confirm'
  | 'connection-lost'
  | 'publish-nacked';

/** An error of the in-memory transport: a stable `code` for machines, a message naming what and where. */
export class InMemoryTransportError extends Error {
  readonly code: InMemoryTransportErrorCode;
  constructor(code: InMemoryTransportErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'InMemoryTransportError';
    this.code = code;
  }
}
