const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const isoPattern = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

/** Every uuid occurring anywhere in `value` (the workload's ids are stable across runs and kept). */
export function uuidsIn(value: unknown): Set<string> {
  return new Set(JSON.stringify(value ?? null).match(uuidPattern) ?? []);
}

/**
 * Canonical JSON (sorted keys) with generated ids and timestamps blanked: two runs that differ only in the ids and
 * times they generated normalise to the same string.
 */
export function normalize(value: unknown, stable: ReadonlySet<string>): string {
  return canonicalJson(value)
    .replace(uuidPattern, (id) => (stable.has(id) ? id : '~id'))
    .replace(isoPattern, '~time');
}

/** JSON with object keys sorted, so equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner instanceof Map)
      return Object.fromEntries([...(inner as Map<string, unknown>).entries()].sort());
    if (inner instanceof Set) return [...(inner as Set<unknown>)];
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  });
}
