/**
 * How the harness reads a message it did not write. Every black-box feature (tap, assertions, scenario runner,
 * broker chaos) takes one of these instead of Troupe's own types, so it works on services in any language.
 */
export interface EnvelopeAdapter {
  /** Reads the identity of a message, or undefined when the message is not an event this adapter understands. */
  read(message: AdaptedMessage): EventIdentity | undefined;
}

/** What the adapter gets: the raw body plus AMQP properties and headers. */
export interface AdaptedMessage {
  readonly body: Uint8Array;
  readonly routingKey: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly messageId?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly type?: string | undefined;
  /** AMQP content-type (CloudEvents' structured mode is `application/cloudevents+json`). */
  readonly contentType?: string | undefined;
}

/** The fields every harness feature needs to follow a flow. */
export interface EventIdentity {
  /**
   * The message's id; for formats without one, a synthetic id unique to this delivery (`syntheticId: true`),
   * so two identical publications stay two.
   */
  readonly eventId: string;
  /** True when the format has no id and `eventId` was made up for this one delivery (`syntheticEventId`). */
  readonly syntheticId?: boolean | undefined;
  readonly eventType: string;
  readonly correlationId: string;
  readonly causationId?: string | undefined;
  /** The business key (orderId): the unit invariants are checked per. */
  readonly businessKey?: string | undefined;
  readonly timestamp?: string | undefined;
  /** The decoded body, when it is JSON. */
  readonly payload?: unknown;
}

/**
 * The adapter for Troupe's own envelope (JSON body with eventId/eventType/correlationId/causationId/payload).
 * `businessKeyField` names the payload field that identifies the business entity, `orderId` for the shop.
 */
export function troupeEnvelopeAdapter(businessKeyField = 'orderId'): EnvelopeAdapter {
  return {
    read(message) {
      let parsed: unknown;
      try {
        const { body } = message;
        // A view, not a copy: every published message is read on the simulator's hot path.
        parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
      } catch {
        return undefined;
      }
      if (typeof parsed !== 'object' || parsed === null) return undefined;
      const envelope = parsed as Record<string, unknown>;
      const { eventId, eventType, correlationId, causationId, timestamp, payload } = envelope;
      if (typeof eventId !== 'string' || typeof eventType !== 'string' || typeof correlationId !== 'string') {
        return undefined;
      }
      const key =
        typeof payload === 'object' && payload !== null
          ? (payload as Record<string, unknown>)[businessKeyField]
          : undefined;
      return {
        eventId,
        eventType,
        correlationId,
        causationId: typeof causationId === 'string' ? causationId : undefined,
        businessKey: typeof key === 'string' ? key : undefined,
        timestamp: typeof timestamp === 'string' ? timestamp : undefined,
        payload,
      };
    },
  };
}
