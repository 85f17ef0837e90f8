const placeholder = /\{\{\s*uuid\s+([A-Za-z0-9_-]+)\s*\}\}/g;

/**
 * Replaces `{{uuid NAME}}` in every string of `value` with `idFor(NAME)`: the same name gives the same id within
 * one run, so a published event can refer to ids it shares with later events.
 */
export function fillPlaceholders(value: unknown, idFor: (name: string) => string): unknown {
  if (typeof value === 'string') return value.replace(placeholder, (_match, name: string) => idFor(name));
  if (Array.isArray(value)) return value.map((item) => fillPlaceholders(item, idFor));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fillPlaceholders(item, idFor)]),
    );
  }
  return value;
}
