/**
 * Whether `error` says the store (or the network to it) is temporarily unavailable rather than that the message
 * is bad: such a failure must never dead-letter a valid message. PostgreSQL SQLSTATE classes 08 (connection),
 * 40 (serialization failure, deadlock), 53 (insufficient resources), 57P01-57P03 (shutdown); socket errors;
 * node-postgres' connection messages; the kit's own `store-unavailable`.
 */
export function isTransientStoreError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === 'store-unavailable') return true;
    if (/^(08|40|53)/.test(code) || /^57P0[123]$/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))
      return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}
