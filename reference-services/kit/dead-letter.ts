import type { DecodeErrorCode } from '../../harness/events/decode-error';

/** Why a message was dead-lettered: a decode failure, an event type this service does not consume, or a handler
 * that kept failing. */
export type DeadLetterCode =
  DecodeErrorCode | 'unhandled-event-type' | 'unprocessable-event' | 'handler-failed';

/** The reason carried by a dead-lettered message (in headers on the broker). */
export interface DeadLetterReason {
  readonly code: DeadLetterCode;
  readonly message: string;
  /** Where in the message, when known (`payload.items.0.quantity`). */
  readonly path?: string;
  readonly eventType?: string;
  readonly eventId?: string;
  /** How many times the handler was tried (handler-failed only). */
  readonly attempts?: number;
}

/** Header names on a dead-lettered message. */
export const deadLetterHeaders = {
  reason: 'x-troupe-dead-letter-reason',
  code: 'x-troupe-dead-letter-code',
  path: 'x-troupe-dead-letter-path',
  service: 'x-troupe-dead-letter-service',
  attempts: 'x-troupe-dead-letter-attempts',
} as const;

/** The broker headers for `reason`. */
export function deadLetterHeadersFor(
  service: string,
  reason: DeadLetterReason,
): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    [deadLetterHeaders.reason]: reason.message.slice(0, 1000),
    [deadLetterHeaders.code]: reason.code,
    [deadLetterHeaders.service]: service,
  };
  if (reason.path !== undefined) headers[deadLetterHeaders.path] = reason.path;
  if (reason.attempts !== undefined) headers[deadLetterHeaders.attempts] = reason.attempts;
  return headers;
}
