/**
 * Points inside `ServiceProcessor.process` where a simulated crash can be injected, in the order they are reached.
 * - `after-decode`: the message is valid, nothing written yet.
 * - `after-handle-before-commit`: state, inbox and outbox rows are written but not committed (a crash rolls back).
 *   With the `ack-before-commit` bug the delivery is already acked here.
 * - `after-commit-before-dedupe`: only with the `inventory-dedupe-after-commit` bug: state committed, inbox row not.
 * - `after-commit-before-ack`: committed, not acked: the broker will redeliver and the inbox must absorb it.
 */
export type CrashPoint =
  'after-decode' | 'after-handle-before-commit' | 'after-commit-before-dedupe' | 'after-commit-before-ack';

/** Every crash point, in the order `process` reaches them. */
export const crashPoints: readonly CrashPoint[] = [
  'after-decode',
  'after-handle-before-commit',
  'after-commit-before-dedupe',
  'after-commit-before-ack',
];

/** Called at each crash point; throw a `SimulatedCrash` to crash there. */
export type CrashHook = (
  point: CrashPoint,
  info: { readonly service: string; readonly eventId: string },
) => void;

/** Thrown by a crash hook: the process "dies" at `point` (the processor reports it, it never retries it). */
export class SimulatedCrash extends Error {
  readonly code = 'simulated-crash';
  readonly point: CrashPoint;
  constructor(point: CrashPoint) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
    this.point = point;
  }
}
