import { isInjectedCopy } from '../../observe/injected-message';
import type { IdentifiedEvent, ObservedEvent } from '../../observe/observed-event';
import { countPublications } from '../../observe/publications';

/**
 * What was published, from what the taps recorded (`countPublications`): tap records only (a redelivery to a
 * service is not a publication), chaos copies left out, one per real event id — or one per record for formats
 * without ids, so two identical publications are two. Messages a step published count: the story sent them.
 */
export function publications(
  events: readonly ObservedEvent[],
  isTapRecord: (source: string) => boolean,
  type?: string,
): IdentifiedEvent[] {
  const counted = countPublications(
    events.filter((event) => isTapRecord(event.source)),
    { isInjected: (event) => isInjectedCopy(event.headers) },
  );
  return counted.publications.flatMap((publication) =>
    publication.identity && (type === undefined || publication.identity.eventType === type)
      ? [{ ...publication.first, identity: publication.identity }]
      : [],
  );
}
