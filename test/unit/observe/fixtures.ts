import type { EnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import type { OutgoingMessage } from '../../../harness/transport/transport';
import type { RecordableDelivery } from '../../../harness/observe/event-log';

/** A Troupe-envelope message (JSON body) for `type`, caused by `causationId`. */
export function troupeMessage(
  type: string,
  routingKey: string,
  correlationId: string,
  causationId: string,
  options: { readonly eventId?: string; readonly payload?: Record<string, unknown> } = {},
): OutgoingMessage & { readonly eventId: string } {
  const eventId = options.eventId ?? newEventId();
  const envelope = {
    eventId,
    eventType: type,
    version: '1.0',
    timestamp: new Date().toISOString(),
    correlationId,
    causationId,
    payload: options.payload ?? { orderId: 'order-1' },
  };
  return {
    eventId,
    routingKey,
    body: Buffer.from(JSON.stringify(envelope)),
    messageId: eventId,
    correlationId,
    type,
    contentType: 'application/json',
  };
}

/** A delivery as a consumer would get it, for feeding an EventLog directly. */
export function asDelivery(
  message: OutgoingMessage,
  extra: Partial<Pick<RecordableDelivery, 'redelivered' | 'deliveryTag' | 'queue' | 'exchange'>> = {},
): RecordableDelivery {
  return { ...message, headers: message.headers ?? {}, ...extra };
}

/**
 * A foreign (non-Troupe) message format: `{ kind, id, data }` body in snake-ish names, flow identity in headers
 * `x-trace-id` / `x-caused-by`. Stands for a service written in another language.
 */
export function foreignMessage(
  kind: string,
  routingKey: string,
  traceId: string,
  causedBy: string | undefined,
  id: string = newEventId(),
): OutgoingMessage & { readonly id: string } {
  return {
    id,
    routingKey,
    body: Buffer.from(JSON.stringify({ kind, id, data: { order_ref: 'ref-7' } })),
    headers: { 'x-trace-id': traceId, ...(causedBy === undefined ? {} : { 'x-caused-by': causedBy }) },
  };
}

/** The envelope adapter for `foreignMessage`. */
export const foreignAdapter: EnvelopeAdapter = {
  read(message) {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(message.body).toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof body !== 'object' || body === null) return undefined;
    const { kind, id, data } = body as Record<string, unknown>;
    const trace = message.headers['x-trace-id'];
    const causedBy = message.headers['x-caused-by'];
    if (typeof kind !== 'string' || typeof id !== 'string' || typeof trace !== 'string') return undefined;
    const ref =
      typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['order_ref'] : undefined;
    return {
      eventId: id,
      eventType: kind,
      correlationId: trace,
      causationId: typeof causedBy === 'string' ? causedBy : undefined,
      businessKey: typeof ref === 'string' ? ref : undefined,
      payload: data,
    };
  },
};
