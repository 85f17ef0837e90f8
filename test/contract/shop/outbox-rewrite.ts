import type { NewOutboxRecord, Store, StoreTx } from '../../../reference-services/kit/store';

/**
 * A store that rewrites outbox rows as they are written: the producer's real code runs unchanged, but what it
 * serializes is altered — how the contract tests simulate a broken producer (a dropped field, a changed type, a
 * renamed event) without editing the services.
 */
export function withOutboxRewrite(
  store: Store,
  rewrite: (record: NewOutboxRecord) => NewOutboxRecord,
): Store {
  return {
    kind: store.kind,
    namespace: store.namespace,
    migrate: () => store.migrate(),
    transaction: (fn) =>
      store.transaction((tx) => {
        const wrapped: StoreTx = {
          get: (collection, key, options) => tx.get(collection, key, options),
          put: (collection, key, value) => tx.put(collection, key, value),
          insert: (collection, key, value) => tx.insert(collection, key, value),
          list: (collection) => tx.list(collection),
          markProcessed: (consumer, eventId) => tx.markProcessed(consumer, eventId),
          hasProcessed: (consumer, eventId) => tx.hasProcessed(consumer, eventId),
          appendOutbox: (record) => tx.appendOutbox(rewrite(record)),
        };
        return fn(wrapped);
      }),
    read: (collection, key) => store.read(collection, key),
    list: (collection) => store.list(collection),
    putIfAbsent: (collection, key, value) => store.putIfAbsent(collection, key, value),
    relayOutbox: (limit, publish) => store.relayOutbox(limit, publish),
    outbox: () => store.outbox(),
    onOutboxWritten: (listener) => store.onOutboxWritten(listener),
    close: () => store.close(),
  };
}

/** Rewrites the JSON body of every `eventType` row with `change` (what goes on the wire; the row keeps its columns). */
export function rewriteEventBody(
  eventType: string,
  change: (envelope: Record<string, unknown>) => void,
): (record: NewOutboxRecord) => NewOutboxRecord {
  return (record) => {
    if (record.eventType !== eventType) return record;
    const envelope = JSON.parse(record.body) as Record<string, unknown>;
    change(envelope);
    return { ...record, body: JSON.stringify(envelope) };
  };
}
