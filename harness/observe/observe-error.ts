/** Stable codes of observer failures. */
export type ObserveErrorCode =
  'invalid-argument' | 'tap-failed' | 'store-failed' | 'listener-failed' | 'trace-not-found';

/** An observer failure with a stable `code` and the underlying `cause`. */
export class ObserveError extends Error {
  readonly code: ObserveErrorCode;
  constructor(code: ObserveErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ObserveError';
    this.code = code;
  }
}
