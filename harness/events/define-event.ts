import type { z } from 'zod';

/** One earlier version of an event, kept so compatibility can be checked and old consumers verified. */
export interface EventVersion<P extends z.ZodType = z.ZodType> {
  readonly version: string;
  readonly payload: P;
}

/** A versioned event type: the single source of truth for its type, validation, contracts and docs. */
export interface EventDefinition<T extends string = string, P extends z.ZodType = z.ZodType> {
  readonly type: T;
  /** Current version, `major.minor`. */
  readonly version: string;
  readonly payload: P;
  /** AMQP routing key on the topic exchange, e.g. `orders.order.placed`. */
  readonly routingKey: string;
  /** The service that publishes it. */
  readonly producer: string;
  readonly description: string;
  /** Older versions, oldest first. */
  readonly history: readonly EventVersion[];
  /** A realistic payload: used in docs, pact examples and AsyncAPI. Must satisfy `payload`. */
  readonly example: z.output<P>;
}

/** Payload type of a definition. */
export type PayloadOf<D> = D extends EventDefinition<string, infer P> ? z.output<P> : never;

/**
 * Declares an event type. The example is checked against the schema at definition time, so a catalog with a
 * stale example fails on import rather than in a contract test.
 */
export function defineEvent<const T extends string, P extends z.ZodType>(
  definition: Omit<EventDefinition<T, P>, 'history'> & { readonly history?: readonly EventVersion[] },
): EventDefinition<T, P> {
  const checked = definition.payload.safeParse(definition.example);
  if (!checked.success) {
    throw new Error(
      `defineEvent(${definition.type}): example does not match its schema: ${checked.error.message}`,
    );
  }
  if (!/^\d+\.\d+$/.test(definition.version)) {
    throw new Error(`defineEvent(${definition.type}): version "${definition.version}" must be "major.minor"`);
  }
  return { ...definition, history: definition.history ?? [] };
}
