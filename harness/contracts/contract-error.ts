/** Stable codes for everything that can go wrong in the contracts tools. */
export type ContractErrorCode =
  | 'invalid-example'
  | 'unsupported-schema'
  | 'pact-internals-changed'
  | 'verification-failed'
  | 'consumer-handler-failed'
  | 'broker-config'
  | 'broker-command-failed'
  | 'broker-request-failed'
  | 'broker-feature-missing'
  | 'results-not-published'
  | 'record-failed'
  | 'capture-failed'
  | 'delivery-failed'
  | 'action-failed'
  | 'snapshot-missing'
  | 'incompatible-schema'
  | 'sensitive-field'
  | 'invalid-asyncapi';

/** An error of the contracts tools: a stable `code` for machines, a message naming what and where. */
export class ContractError extends Error {
  readonly code: ContractErrorCode;
  constructor(code: ContractErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ContractError';
    this.code = code;
  }
}
