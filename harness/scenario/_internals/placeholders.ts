const placeholder = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** The roots a template may name: `{{uuid NAME}}`, `{{flow.key}}`, `{{flows.NAME.key}}`, `{{env.NAME}}`… */
export const templateRoots = ['uuid', 'flow', 'flows', 'env', 'run', 'target'] as const;

/**
 * Replaces every `{{expression}}` in every string of `value` (deeply) with `resolve(expression)`. `{{uuid NAME}}`
 * arrives as `uuid NAME`. Resolvers throw for an unknown name, so a typo fails the step with its expression.
 */
export function fillPlaceholders(value: unknown, resolve: (expression: string) => string): unknown {
  if (typeof value === 'string')
    return value.replace(placeholder, (_match, expression: string) => resolve(expression));
  if (Array.isArray(value)) return value.map((item) => fillPlaceholders(item, resolve));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fillPlaceholders(item, resolve)]),
    );
  }
  return value;
}

/** Every `{{expression}}` in `value`, with the path of the string it is in (for load-time checks). */
export function findPlaceholders(
  value: unknown,
  path: readonly PropertyKey[] = [],
): { readonly expression: string; readonly path: readonly PropertyKey[] }[] {
  if (typeof value === 'string') {
    return [...value.matchAll(placeholder)].map((match) => ({ expression: (match[1] ?? '').trim(), path }));
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => findPlaceholders(item, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => findPlaceholders(item, [...path, key]));
  }
  return [];
}

/** Why an expression is not one the runner can fill; undefined when it is well formed. */
export function templateProblem(expression: string): string | undefined {
  if (/^uuid\s+[A-Za-z0-9_-]+$/.test(expression)) return undefined;
  if (/^flow\.(key|correlationId|name)$/.test(expression)) return undefined;
  if (/^flows\.[a-z][a-z0-9_#-]*\.(key|correlationId|name)$/.test(expression)) return undefined;
  if (/^env\.[A-Za-z_][A-Za-z0-9_]*$/.test(expression)) return undefined;
  if (/^run\.(namespace|id)$/.test(expression)) return undefined;
  if (/^target\.[A-Za-z0-9_.-]+$/.test(expression)) return undefined;
  return (
    `unknown placeholder {{${expression}}}: use {{flow.key}}, {{flow.correlationId}}, {{flows.NAME.key}}, ` +
    '{{uuid NAME}}, {{env.NAME}}, {{run.namespace}} or {{target.NAME}}'
  );
}
