import { z } from 'zod';

/**
 * The envelope every event travels in. The payload is typed by the event's own schema; the envelope is what
 * lets anyone (the tap, the fuzzer, a service in another language) follow a flow without knowing the payload.
 */
export const envelopeSchema = z.object({
  /** uuid v7: unique and sortable by creation time. */
  eventId: z.uuid(),
  /** Past tense, PascalCase: `OrderPlaced`. */
  eventType: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'eventType must be PascalCase'),
  /** `major.minor`; consumers accept any minor of the major they know. */
  version: z.string().regex(/^\d+\.\d+$/, 'version must be "major.minor"'),
  /** ISO 8601 with offset. */
  timestamp: z.iso.datetime({ offset: true }),
  /** Shared by every event of one business flow. */
  correlationId: z.uuid(),
  /** The event (or command) that caused this one. */
  causationId: z.uuid(),
  payload: z.unknown(),
});

/** An envelope whose payload has been validated as `P`. */
export interface Envelope<T extends string = string, P = unknown> {
  readonly eventId: string;
  readonly eventType: T;
  readonly version: string;
  readonly timestamp: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly payload: P;
}
