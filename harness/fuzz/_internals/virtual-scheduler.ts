import type { SimTimers } from '../sim-target';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * The simulator's executor: runnable continuations (scheduling points and deferred calls) and timers in virtual
 * time. Nothing runs unless the simulator takes it; which one it takes is its (seeded) choice.
 */
export class VirtualScheduler {
  /** Virtual milliseconds since the epoch. */
  now: number;
  private ready: (() => void)[] = [];
  private timers: Timer[] = [];
  private seq = 0;
  readonly timerApi: SimTimers;

  constructor(startMs: number) {
    this.now = startMs;
    this.timerApi = {
      setTimeout: (fn, ms) => this.setTimer(fn, ms),
      clearTimeout: (handle) => {
        if (handle && typeof handle === 'object' && 'cancelled' in handle) (handle as Timer).cancelled = true;
      },
      defer: (fn) => {
        this.ready.push(fn);
      },
    };
  }

  /** A scheduling point: resolves when the simulator runs it. */
  step(): Promise<void> {
    return new Promise<void>(this.enqueue);
  }

  /** `step`'s executor, made once: a store model calls `step` before every statement. */
  private readonly enqueue = (resolve: () => void): void => {
    this.ready.push(resolve);
  };

  /** Runnable continuations (timers that are due included, see `promoteDue`). */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Runs the `index`th runnable continuation (0 = the oldest). */
  run(index: number): void {
    const task = index === 0 ? this.ready.shift() : this.ready.splice(index, 1)[0];
    task?.();
  }

  /** Moves timers that are due at `now` to the runnable ones, in (time, creation) order. */
  promoteDue(): void {
    while (this.timers.length > 0) {
      const first = this.timers[0] as Timer;
      if (first.cancelled) {
        this.timers.shift();
        continue;
      }
      if (first.at > this.now) return;
      this.timers.shift();
      this.ready.push(first.fn);
    }
  }

  /** True when a live timer is pending. */
  hasTimers(): boolean {
    while (this.timers.length > 0 && (this.timers[0] as Timer).cancelled) this.timers.shift();
    return this.timers.length > 0;
  }

  /** Jumps virtual time to the next live timer and makes it (and those due with it) runnable. */
  advanceToNextTimer(): void {
    if (!this.hasTimers()) return;
    this.now = Math.max(this.now, (this.timers[0] as Timer).at);
    this.promoteDue();
  }

  private setTimer(fn: () => void, ms: number): Timer {
    const timer: Timer = { at: this.now + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    // Sorted insert from the back: most timers are set in time order.
    let i = this.timers.length;
    while (i > 0) {
      const previous = this.timers[i - 1] as Timer;
      if (previous.at < timer.at || (previous.at === timer.at && previous.seq < timer.seq)) break;
      i--;
    }
    this.timers.splice(i, 0, timer);
    return timer;
  }
}

/**
 * Lets every pending microtask run: a tick queued from a microtask runs once the microtask queue is empty. The
 * tick is queued from a microtask even when `settle` is called synchronously (a CommonJS script's first
 * `simulate` call): a tick queued from there runs before the microtasks, and a start would look stuck.
 */
export function settle(): Promise<void> {
  return new Promise<void>((resolve) => queueMicrotask(() => process.nextTick(resolve)));
}

/** A small seeded generator (xorshift32) for the scheduler's choices; never `Math.random`. */
export function choiceGenerator(seed: number): (n: number) => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}
