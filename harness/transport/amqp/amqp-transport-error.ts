/**
 * Stable codes for everything the AMQP adapter can fail at. Callers switch on `code`, never on messages.
 * - `invalid-topology`: the topology data is malformed (names where and what).
 * - `declare-failed`: the broker refused a declaration (e.g. a queue exists with other arguments).
 * - `publish-failed`: the broker nacked the message or the channel died before the confirm.
 * - `consume-failed`: the consumer could not be started (e.g. the queue does not exist).
 * - `handler-failed`: a delivery handler threw; the delivery was requeued.
 * - `consumer-error`: a running consumer hit a channel problem (ack after a cut, cancelled by the broker).
 * - `connection-lost`: the connection dropped; the adapter reconnects on its own.
 * - `closed`: the transport was used after `close()`.
 * - `rabbitmqctl-failed`: the `rabbitmqctl` command failed or printed something unparseable.
 * - `exchange-mismatch`: an exchange exists with another type than expected (it is never redeclared).
 */
export type AmqpTransportErrorCode =
  | 'invalid-topology'
  | 'declare-failed'
  | 'publish-failed'
  | 'consume-failed'
  | 'handler-failed'
  | 'consumer-error'
  | 'connection-lost'
  | 'closed'
  | 'rabbitmqctl-failed'
  | 'exchange-mismatch';

/** An error of the AMQP adapter: a stable `code`, a message naming what and where, and the underlying `cause`. */
export class AmqpTransportError extends Error {
  readonly code: AmqpTransportErrorCode;

  constructor(code: AmqpTransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AmqpTransportError';
    this.code = code;
  }
}
