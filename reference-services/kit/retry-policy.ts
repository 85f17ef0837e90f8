/** How often and how patiently a failing handler is retried before the message is dead-lettered. */
export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Five tries, 50 ms doubling to at most 2 s between them. */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2_000 };

/** Exponential backoff without jitter (deterministic): the delay before try `attempt + 1`. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}
