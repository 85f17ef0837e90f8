import type { z } from 'zod';
import { ServiceError } from './errors';

/**
 * Validates configuration read from JSON (CLI files, scenario specs) against `schema`. Throws a `ServiceError`
 * `invalid-config` naming `source` and the first bad field, with the zod error as `cause`.
 */
export function parseConfig<R>(schema: z.ZodType, data: unknown, source: string): R {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServiceError(
      'invalid-config',
      `${source}: invalid at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'unknown problem'}`,
      { cause: parsed.error },
    );
  }
  // Drop keys zod left undefined (exactOptionalPropertyTypes).
  return JSON.parse(JSON.stringify(parsed.data)) as R;
}
