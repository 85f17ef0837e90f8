import { z } from 'zod';
import type { Schedule } from '../../fuzz/schedule';
import { ChaosError } from '../chaos-error';

const where = { consumer: z.string().min(1), nth: z.number().int().nonnegative() };
const count = z.number().int().positive();

const faultSchema = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('duplicate'), ...where, copies: count, lag: z.number().int().nonnegative() })
    .strict(),
  z.object({ kind: z.literal('redeliver'), ...where }).strict(),
  z.object({ kind: z.literal('crash'), ...where, point: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('delay'), ...where, by: count }).strict(),
  z.object({ kind: z.literal('fail'), ...where, times: count }).strict(),
  z.object({ kind: z.literal('cut'), ...where }).strict(),
  z
    .object({
      kind: z.literal('confirm'),
      ...where,
      outcome: z.enum(['nack', 'lose', 'delay']),
      by: z.number().int().nonnegative(),
    })
    .strict(),
]);

const scheduleSchema = z
  .object({ faults: z.array(faultSchema), interleave: z.number().int().nonnegative().optional() })
  .strict();

/**
 * Validates a simulator schedule (`harness/fuzz/schedule.ts`) from JSON: the schedule itself, a fuzz failure
 * (`{ schedule, … }`) or a whole `troupe fuzz --json` report (`failure.schedule`), so the report pastes in as is.
 * Throws `invalid-plan` naming the field (`schedule: failure.schedule.faults.0.nth: …`).
 */
export function parseSchedule(input: unknown, source = 'schedule'): Schedule {
  let value = input;
  let path: (string | number)[] = [];
  // A report without a failure has no `failure` key at all (JSON drops undefined): know it by its other fields.
  const isReport = isObject(value) && ('failure' in value || ('executed' in value && 'seed' in value));
  if (isObject(value) && !('faults' in value) && isReport) {
    if (value['failure'] === undefined || value['failure'] === null)
      throw new ChaosError(
        'invalid-plan',
        `${source}: the fuzz report has no failure, so there is no counterexample to replay`,
      );
    value = value['failure'];
    path = ['failure'];
  }
  if (isObject(value) && !('faults' in value) && 'schedule' in value) {
    value = value['schedule'];
    path = [...path, 'schedule'];
  }
  const result = scheduleSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues
      .map((issue) => {
        const at = [...path, ...issue.path].join('.');
        return `${at === '' ? '(root)' : at}: ${issue.message}`;
      })
      .join('; ');
    throw new ChaosError(
      'invalid-plan',
      `${source}: ${issues} (expected a simulator schedule { faults: [{ kind, consumer, nth, … }], interleave? } ` +
        'or the report of troupe fuzz --json)',
    );
  }
  return result.data as Schedule;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
