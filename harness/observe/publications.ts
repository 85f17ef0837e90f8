import type { EventIdentity } from '../events/envelope-adapter';
import { isInjectedMessage } from './injected-message';
import type { ObservedEvent } from './observed-event';

/** One message the system published, as the tap saw it. */
export interface Publication {
  /** What the adapter read; undefined for a message it could not read (counted, shown, never dropped). */
  readonly identity: EventIdentity | undefined;
  /** The first tap record of it. */
  readonly first: ObservedEvent;
  /** Tap records folded into it (1 + redeliveries to the tap + re-publications with the same real id). */
  readonly records: number;
}

/** What the system published during a run, counted from the tap's records. */
export interface PublicationCount {
  /** Every publication in order of first sight, unreadable ones included. */
  readonly publications: readonly Publication[];
  /** The readable publications' identities, in order: what invariants check (`InvariantInput.events`). */
  readonly events: readonly EventIdentity[];
  /** Records of messages Troupe published itself (flow starts, steps, chaos copies): not the system's. */
  readonly injected: number;
  /** Records the adapter could not read: each one a publication of its own. */
  readonly unreadable: readonly ObservedEvent[];
  /** Records folded into an earlier publication (same real id, or a redelivery to the tap). */
  readonly folded: number;
}

/**
 * Counts *publications*, the way invariants and accounting must see them, from what a tap recorded (one record
 * per publication routed to the tap's queue):
 * - a message Troupe injected (marked `x-troupe-injected`) is not the system's and is left out;
 * - a message with a real id is one publication however often it was seen (a redelivery of one publication is
 *   one);
 * - a message without an id (the adapter gave it a synthetic id) is one publication per record, so two identical
 *   publications are two — except a record the broker redelivered to the tap itself, which repeats one already
 *   seen;
 * - an unreadable message is one publication per record, reported in `unreadable`.
 */
export function countPublications(
  records: readonly ObservedEvent[],
  options: { readonly isInjected?: (event: ObservedEvent) => boolean } = {},
): PublicationCount {
  const injectedOf = options.isInjected ?? ((event: ObservedEvent) => isInjectedMessage(event.headers));
  const byId = new Map<string, { identity: EventIdentity; first: ObservedEvent; records: number }>();
  const publications: { identity: EventIdentity | undefined; first: ObservedEvent; records: number }[] = [];
  const unreadable: ObservedEvent[] = [];
  let injected = 0;
  let folded = 0;
  for (const record of records) {
    if (injectedOf(record)) {
      injected++;
      continue;
    }
    const identity = record.identity;
    if (identity === undefined) {
      unreadable.push(record);
      publications.push({ identity: undefined, first: record, records: 1 });
      continue;
    }
    if (identity.syntheticId === true) {
      if (record.redelivered) {
        folded++;
        continue;
      }
      publications.push({ identity, first: record, records: 1 });
      continue;
    }
    const seen = byId.get(identity.eventId);
    if (seen) {
      seen.records++;
      folded++;
      continue;
    }
    const publication = { identity, first: record, records: 1 };
    byId.set(identity.eventId, publication);
    publications.push(publication);
  }
  return {
    publications,
    events: publications.flatMap((p) => (p.identity ? [p.identity] : [])),
    injected,
    unreadable,
    folded,
  };
}
