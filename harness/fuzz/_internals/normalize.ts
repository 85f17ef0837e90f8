const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const isoPattern = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

/** Every uuid occurring anywhere in `value` (the workload's ids are stable across runs and kept). */
export function uuidsIn(value: unknown): Set<string> {
  return new Set(JSON.stringify(value ?? null).match(uuidPattern) ?? []);
}

/**
 * A canonical string for `value`: object keys sorted, arrays treated as multisets (collections of records come
 * back in id order, and generated ids differ between runs), generated ids and timestamps blanked. Two runs that
 * differ only in the ids and times they generated normalise to the same string.
 */
export function normalize(value: unknown, stable: ReadonlySet<string>): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      // Ids (36 chars) and ISO times (20+) are long; most strings (SKUs, statuses) are not: skip the regexes.
      if (value.length < 20) return `"${value}"`;
      if (value.length === 36 && value[8] === '-' && value[13] === '-' && value[23] === '-') {
        return stable.has(value) ? `"${value}"` : '"~id"';
      }
      if (value[4] === '-' && value[10] === 'T' && value.length <= 29) return '"~time"';
      return `"${value.replace(uuidPattern, (id) => (stable.has(id) ? id : '~id')).replace(isoPattern, '~time')}"`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'object': {
      if (value instanceof Map) return normalize(Object.fromEntries(value), stable);
      if (value instanceof Set) return normalize([...(value as Set<unknown>)], stable);
      if (Array.isArray(value)) {
        return `[${value
          .map((item) => normalize(item, stable))
          .sort()
          .join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      return `{${keys.map((key) => `${key}:${normalize(record[key], stable)}`).join(',')}}`;
    }
    case 'bigint':
      return value.toString();
    default:
      return `"${typeof value}"`;
  }
}
