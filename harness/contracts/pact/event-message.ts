import { z } from 'zod';
import type { EventDefinition } from '../../events/define-event';
import { envelopeSchema } from '../../events/envelope';
import { ContractError } from '../contract-error';
import { zodToPact } from '../pact-rules/zod-to-pact';
import type { PactBodyContract } from '../pact-rules/types';

/** Fixed envelope ids for pact examples, so regenerated pacts are byte-identical. */
const exampleEnvelope = {
  eventId: '0192f5a0-7c1e-7a3b-8d4e-000000000001',
  timestamp: '2026-01-01T12:00:00.000Z',
  correlationId: '0192f5a0-7c1e-7a3b-8d4e-000000000002',
  causationId: '0192f5a0-7c1e-7a3b-8d4e-000000000003',
} as const;

/**
 * The schema of a whole message carrying `definition`: the envelope, with `eventType` fixed and `version`
 * accepting any minor of the definition's major (what `EventCatalog.decode` accepts).
 */
export function eventMessageSchema(
  definition: EventDefinition,
  payload: z.ZodType = definition.payload,
  version: string = definition.version,
): z.ZodType {
  const major = version.split('.')[0] ?? version;
  return envelopeSchema.extend({
    eventType: z.literal(definition.type),
    version: z.string().regex(new RegExp(`^${major}\\.\\d+$`), `version must be ${major}.x`),
    payload,
  });
}

/** Options for `eventMessageContract`. */
export interface EventMessageContractOptions {
  /** The payload the consumer's example shows (defaults to the definition's example). */
  readonly payload?: unknown;
  /** An older payload schema, to write a pact for a consumer still on that version. */
  readonly payloadSchema?: z.ZodType;
  /** The version the consumer knows (defaults to the definition's version). */
  readonly version?: string;
  /**
   * JSONPaths whose example value this consumer needs exactly (`$.payload.customer.tier` for a "customer is
   * premium" interaction): they get `equality` instead of the schema's rule.
   */
  readonly exact?: readonly string[];
}

/** The pact body (content + matching rules) of one event message, derived from the catalog's zod schema. */
export function eventMessageContract(
  definition: EventDefinition,
  options: EventMessageContractOptions = {},
): PactBodyContract {
  const version = options.version ?? definition.version;
  const schema = eventMessageSchema(definition, options.payloadSchema ?? definition.payload, version);
  const example = {
    ...exampleEnvelope,
    eventType: definition.type,
    version,
    payload: options.payload ?? definition.example,
  };
  const contract = zodToPact(schema, example);
  if (!options.exact || options.exact.length === 0) return contract;
  const rules = { ...contract.rules };
  for (const path of options.exact) {
    if (!rules[path])
      throw new ContractError(
        'unsupported-schema',
        `exact: no field at ${path} in the ${definition.type} pact`,
      );
    rules[path] = { combine: 'AND', matchers: [{ match: 'equality' }] };
  }
  return { ...contract, rules };
}

/**
 * The message metadata every pact of `definition` carries — part of the contract, checked by provider
 * verification: the routing key consumers bind to and the content type they parse (JSON unless the event says).
 */
export function eventMessageMetadata(
  definition: Pick<EventDefinition, 'routingKey'>,
  contentType = 'application/json',
): Readonly<Record<string, string>> {
  return { routingKey: definition.routingKey, contentType };
}
