import { randomUUID } from 'node:crypto';

/** Prefix of ids Troupe made up for messages whose format has none. */
export const SYNTHETIC_ID_PREFIX = 'synthetic:';

/**
 * A fresh id for one delivery of a message that carries no id of its own. Every call is distinct: two identical
 * publications of an id-less format are two events, never collapsed into one.
 */
export function syntheticEventId(): string {
  return `${SYNTHETIC_ID_PREFIX}${randomUUID()}`;
}
