/**
 * A pact file without what changes between runs or tool versions (the pact-js / pact-rust versions in
 * `metadata`), with interactions sorted by description: two pacts that normalize equal make the same promises.
 */
export function normalizePact(pact: unknown): unknown {
  if (typeof pact !== 'object' || pact === null) return pact;
  const { metadata, interactions, ...rest } = pact as Record<string, unknown>;
  const spec =
    typeof metadata === 'object' && metadata !== null
      ? (metadata as Record<string, unknown>)['pactSpecification']
      : undefined;
  const sorted = Array.isArray(interactions)
    ? [...(interactions as { description?: string }[])].sort((a, b) =>
        String(a.description).localeCompare(String(b.description)),
      )
    : interactions;
  return sortKeys({ ...rest, interactions: sorted, metadata: { pactSpecification: spec } });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort())
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}
