import type { Entry } from '../store';

/** The records of collection `name` in an in-memory store model's state, created empty on first use. */
export function bucket(map: Map<string, Map<string, unknown>>, name: string): Map<string, unknown> {
  let records = map.get(name);
  if (!records) {
    records = new Map();
    map.set(name, records);
  }
  return records;
}

/** A collection's entries in key order, as `Store.list` returns them. */
export function sortedEntries<T>(records: ReadonlyMap<string, unknown> | undefined): Entry<T>[] {
  if (!records) return [];
  return [...records.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value: value as T }));
}
