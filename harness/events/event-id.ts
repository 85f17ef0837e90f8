import { v7 as uuidv7 } from 'uuid';

/** A new uuid v7: time-ordered, so ids sort in creation order in logs and indexes. */
export function newEventId(): string {
  return uuidv7();
}
