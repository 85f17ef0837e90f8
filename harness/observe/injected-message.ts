/**
 * Header Troupe sets on every message it publishes itself — flow starts, scenario steps, chaos copies — with the
 * reason as its value. What the system published is what the tap saw minus these.
 */
export const INJECTED_HEADER = 'x-troupe-injected';

/** The older header of broker-chaos copies (`x-troupe-chaos`), still honoured. */
const LEGACY_CHAOS_HEADER = 'x-troupe-chaos';

/** Whether Troupe published this message itself (it carries `x-troupe-injected` or the chaos header). */
export function isInjectedMessage(headers: Readonly<Record<string, unknown>>): boolean {
  return headers[INJECTED_HEADER] !== undefined || headers[LEGACY_CHAOS_HEADER] !== undefined;
}

/** `headers` plus the injected mark. */
export function markInjected(
  headers: Readonly<Record<string, unknown>> | undefined,
  reason: string,
): Record<string, unknown> {
  return { ...headers, [INJECTED_HEADER]: reason };
}

/** Whether this is a copy Troupe re-published of a message the system sent (a chaos duplicate). */
export function isInjectedCopy(headers: Readonly<Record<string, unknown>>): boolean {
  return headers[INJECTED_HEADER] === 'chaos' || headers[LEGACY_CHAOS_HEADER] !== undefined;
}
