/** Stable codes of chaos-proxy failures. */
export type ChaosErrorCode =
  | 'invalid-fault'
  | 'invalid-plan'
  | 'invalid-upstream'
  | 'unknown-service'
  | 'port-in-use'
  | 'listen-failed'
  | 'malformed-frame'
  | 'unexpected-frame'
  | 'stopped';

/** A chaos-proxy failure with a stable `code` and the underlying `cause`. */
export class ChaosError extends Error {
  readonly code: ChaosErrorCode;
  constructor(code: ChaosErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChaosError';
    this.code = code;
  }
}
