const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const isoPattern = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

/** Every uuid occurring anywhere in `value` (the workload's ids are stable across runs and kept). */
export function uuidsIn(value: unknown): Set<string> {
  return new Set(JSON.stringify(value ?? null).match(uuidPattern) ?? []);
}

/**
 * A canonical string for `value`: arrays are treated as multisets (collections of records come back in id order,
 * and generated ids differ between runs), generated ids (uuids not in `stable`) and ISO timestamps are blanked.
 * Two runs that differ only in the ids and times they generated normalise to the same string. Records are
 * serialised natively (JSON.stringify), so keys keep their insertion order: compare values built by the same code.
 */
export function normalize(value: unknown, stable: ReadonlySet<string>): string {
  if (Array.isArray(value)) {
    return `[${value
      .map((item) => normalize(item, stable))
      .sort()
      .join(',')}]`;
  }
  const json = JSON.stringify(value, replacer) ?? 'null';
  return json.replace(uuidPattern, (id) => (stable.has(id) ? id : '~id')).replace(isoPattern, '~time');
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...(value as Map<unknown, unknown>)].sort());
  if (value instanceof Set) return [...(value as Set<unknown>)];
  if (typeof value === 'bigint') return value.toString();
  return value;
}

const generatedIdPattern = /0190a000-0000-7000-8000-[0-9a-f]{12}/g;
const virtualTimePattern = /2026-01-0\dT[0-9:.]+Z/g;

/**
 * The simulator's fast normalisation: blanks exactly the ids the run generated (`SimEnv.ids`) and the virtual
 * timestamps (`SimEnv.now`); top-level arrays compare as multisets. Needs plain JSON data (no Map or Set).
 */
export function normalizeGenerated(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value
      .map((item) => normalizeGenerated(item))
      .sort()
      .join(',')}]`;
  }
  return (JSON.stringify(value) ?? 'null')
    .replace(generatedIdPattern, '~id')
    .replace(virtualTimePattern, '~time');
}
