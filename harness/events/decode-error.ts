/** Why an incoming message could not be turned into a known, valid event. Stable codes, like zod issues. */
export type DecodeErrorCode =
  'invalid-json' | 'invalid-envelope' | 'unknown-event-type' | 'unsupported-version' | 'invalid-payload';

/** One decoding failure: a code for machines, a message naming what and where for people. */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly message: string;
  /** Path inside the message (`payload.items.0.quantity`), when the failure has one. */
  readonly path?: string;
  /** The event type, when the envelope could be read that far. */
  readonly eventType?: string;
}

/** Thrown by `EventCatalog.decodeOrThrow`. Carries the structured `DecodeError`. */
export class EventDecodeError extends Error {
  readonly code: DecodeErrorCode;
  readonly detail: DecodeError;
  constructor(detail: DecodeError) {
    super(detail.message);
    this.name = 'EventDecodeError';
    this.code = detail.code;
    this.detail = detail;
  }
}
