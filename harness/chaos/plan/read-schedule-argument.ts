import { readFileSync } from 'node:fs';
import type { Schedule } from '../../fuzz/schedule';
import { ChaosError } from '../chaos-error';
import { parseSchedule } from './parse-schedule';

/**
 * A `--schedule` argument: inline JSON (it starts with `{`) or a JSON file — a simulator schedule, a fuzz failure
 * or a `troupe fuzz --json` report. Throws `invalid-plan` naming the flag, the file and the field.
 */
export function readScheduleArgument(value: string, flag = '--schedule'): Schedule {
  const inline = value.trimStart().startsWith('{');
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (cause) {
      throw new ChaosError(
        'invalid-plan',
        `${flag} ${value}: cannot read the file (${(cause as Error).message}); pass a file or inline JSON`,
        { cause },
      );
    }
  }
  const source = inline ? flag : `${flag} ${value}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ChaosError('invalid-plan', `${source}: not JSON (${(cause as Error).message})`, { cause });
  }
  return parseSchedule(parsed, source);
}
