/** A human duration in a scenario spec: `250ms`, `10s`, `1.5m`. */
export const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

const unitMs = { ms: 1, s: 1_000, m: 60_000 } as const;

/**
 * Parses a duration such as `500ms`, `10s` or `2m` into milliseconds; undefined when it is not one. Pure, so the
 * spec schema and the CLI share one definition.
 */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Math.round(Number(amount) * unitMs[unit as keyof typeof unitMs]);
}

/** Formats milliseconds back into the shortest readable duration (`1500ms` → `1.5s`). */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(2))}s`;
  return `${Number((ms / 60_000).toFixed(2))}m`;
}
