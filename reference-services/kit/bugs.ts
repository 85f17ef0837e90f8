import { ServiceError } from './errors';

/**
 * Known bugs the reference services can be switched into, off by default. They exist so the fuzzer and the
 * live-broker tests can prove they find real at-least-once mistakes.
 * - `payment-not-idempotent`: payments skips the inbox and charges without an idempotency key → double charge.
 * - `inventory-dedupe-after-commit`: inventory writes its processed-event row in a separate transaction after the
 *   state commit → a crash or a concurrent duplicate in between reserves twice.
 * - `ack-before-commit`: the runtime acks before the transaction commits → a crash in between loses the message.
 */
export type KnownBug = 'payment-not-idempotent' | 'inventory-dedupe-after-commit' | 'ack-before-commit';

/** Every known bug, for CLIs and property generators. */
export const knownBugs: readonly KnownBug[] = [
  'payment-not-idempotent',
  'inventory-dedupe-after-commit',
  'ack-before-commit',
];

/** Parses a bug name; throws naming the known ones. */
export function parseKnownBug(name: string): KnownBug {
  const bug = knownBugs.find((known) => known === name);
  if (!bug) throw new ServiceError('invalid-config', `Unknown bug "${name}". Known: ${knownBugs.join(', ')}`);
  return bug;
}
