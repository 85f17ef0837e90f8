/**
 * Checks that `actual` contains `expected`: objects by the keys `expected` names (others ignored), arrays
 * element by element with the same length, anything else by equality. Returns undefined on a match, otherwise
 * the path and values of the first difference.
 */
export function matchesSubset(actual: unknown, expected: unknown, path = ''): string | undefined {
  const here = path || '(root)';
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${here}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) {
      return `${here}: expected ${expected.length} element(s), got ${actual.length}: ${JSON.stringify(actual)}`;
    }
    for (const [index, item] of expected.entries()) {
      const mismatch = matchesSubset(actual[index], item, `${path}[${index}]`);
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return `${here}: expected an object, got ${JSON.stringify(actual)}`;
    }
    for (const [key, value] of Object.entries(expected)) {
      const mismatch = matchesSubset(
        (actual as Record<string, unknown>)[key],
        value,
        path ? `${path}.${key}` : key,
      );
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  return Object.is(actual, expected)
    ? undefined
    : `${here}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
