import type { z } from 'zod';
import { envelopeSchema, type Envelope } from './envelope';
import type { EventDefinition } from './define-event';
import { EventDecodeError, type DecodeError } from './decode-error';
import { newEventId } from './event-id';

/** Union of the envelopes of every definition in `D`. */
export type EventOf<D extends readonly EventDefinition[]> = {
  [K in keyof D]: D[K] extends EventDefinition<infer T, infer P> ? Envelope<T, z.output<P>> : never;
}[number];

/** What caused a new event: its flow and its parent. */
export interface Causation {
  readonly correlationId: string;
  readonly causationId: string;
}

/** What `EventCatalog.decode` returns: the validated event, or why it is not one. Never thrown. */
export type DecodeResult<E> =
  { readonly ok: true; readonly event: E } | { readonly ok: false; readonly error: DecodeError };

/**
 * A set of event definitions with decode (bytes → validated envelope) and create (payload → envelope).
 * Decoding never throws on bad input: it returns a `DecodeError` so a consumer can dead-letter with the reason.
 */
export class EventCatalog<const D extends readonly EventDefinition[]> {
  readonly definitions: D;
  private readonly byType: ReadonlyMap<string, EventDefinition>;

  constructor(definitions: D) {
    this.definitions = definitions;
    const byType = new Map<string, EventDefinition>();
    for (const definition of definitions) {
      if (byType.has(definition.type))
        throw new Error(`EventCatalog: duplicate event type ${definition.type}`);
      byType.set(definition.type, definition);
    }
    this.byType = byType;
  }

  /** The definition of `type`, or undefined. */
  get(type: string): EventDefinition | undefined {
    return this.byType.get(type);
  }

  /** The definition of `type`; throws naming the known types when it is not in the catalog. */
  require<T extends EventOf<D>['eventType']>(type: T): Extract<D[number], { type: T }> {
    const definition = this.byType.get(type);
    if (!definition)
      throw new Error(`Unknown event type "${type}". Known: ${[...this.byType.keys()].join(', ')}`);
    return definition as Extract<D[number], { type: T }>;
  }

  /** Every event type in the catalog. */
  types(): string[] {
    return [...this.byType.keys()];
  }

  /** Decodes raw message bytes (or an already-parsed value) into a validated envelope. */
  decode(raw: Uint8Array | string | object): DecodeResult<EventOf<D>> {
    let value: unknown = raw;
    if (typeof raw === 'string' || raw instanceof Uint8Array) {
      let text: string;
      try {
        text = typeof raw === 'string' ? raw : strictUtf8.decode(raw);
      } catch {
        // JSON is UTF-8: replacing bad bytes with U+FFFD would accept (and store) a corrupted message.
        return fail({ code: 'invalid-json', message: 'Message body is not valid UTF-8' });
      }
      try {
        value = JSON.parse(text);
      } catch (error) {
        return fail({
          code: 'invalid-json',
          message: `Message body is not JSON: ${(error as Error).message}`,
        });
      }
    }
    const envelope = envelopeSchema.safeParse(value);
    if (!envelope.success) {
      const issue = envelope.error.issues[0];
      const path = issue ? issue.path.join('.') : '';
      const eventType = readEventType(value);
      return fail({
        code: 'invalid-envelope',
        message: `Invalid envelope at "${path}": ${issue?.message ?? 'unknown problem'}`,
        path,
        ...(eventType ? { eventType } : {}),
      });
    }
    const { eventType, version } = envelope.data;
    const definition = this.byType.get(eventType);
    if (!definition) {
      return fail({ code: 'unknown-event-type', message: `Unknown event type "${eventType}"`, eventType });
    }
    if (major(version) !== major(definition.version)) {
      return fail({
        code: 'unsupported-version',
        message: `${eventType} version ${version} is not supported (this catalog knows ${definition.version})`,
        eventType,
      });
    }
    const payload = definition.payload.safeParse(envelope.data.payload);
    if (!payload.success) {
      const issue = payload.error.issues[0];
      const path = ['payload', ...(issue?.path ?? [])].join('.');
      return fail({
        code: 'invalid-payload',
        message: `${eventType} ${version}: invalid payload at "${path}": ${issue?.message ?? 'unknown problem'}`,
        path,
        eventType,
      });
    }
    return { ok: true, event: { ...envelope.data, payload: payload.data } as EventOf<D> };
  }

  /** Like `decode`, but throws an `EventDecodeError`. */
  decodeOrThrow(raw: Uint8Array | string | object): EventOf<D> {
    const result = this.decode(raw);
    if (!result.ok) throw new EventDecodeError(result.error);
    return result.event;
  }

  /** Builds a new envelope for `type`, validating the payload (a producer never emits an invalid event). */
  create<T extends EventOf<D>['eventType']>(
    type: T,
    payload: Extract<EventOf<D>, { eventType: T }>['payload'],
    causation: Causation,
    options: { readonly eventId?: string; readonly timestamp?: string } = {},
  ): Extract<EventOf<D>, { eventType: T }> {
    const definition = this.require(type);
    const parsed = definition.payload.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EventDecodeError({
        code: 'invalid-payload',
        message: `Refusing to create ${type}: invalid payload at "payload.${issue?.path.join('.') ?? ''}": ${issue?.message ?? ''}`,
        path: `payload.${issue?.path.join('.') ?? ''}`,
        eventType: type,
      });
    }
    return {
      eventId: options.eventId ?? newEventId(),
      eventType: type,
      version: definition.version,
      timestamp: options.timestamp ?? new Date().toISOString(),
      correlationId: causation.correlationId,
      causationId: causation.causationId,
      payload: parsed.data,
    } as Extract<EventOf<D>, { eventType: T }>;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function fail(error: DecodeError): { ok: false; error: DecodeError } {
  return { ok: false, error };
}

function major(version: string): string {
  return version.split('.')[0] ?? version;
}

function readEventType(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && 'eventType' in value) {
    const type = value.eventType;
    return typeof type === 'string' ? type : undefined;
  }
  return undefined;
}
