/** Something a test may forget to close: a tap, an AMQP connection. */
export interface OpenResource {
  close(): Promise<void>;
}

const open = new Set<OpenResource>();
let tracking = false;

/**
 * Starts recording every tap and AMQP transport opened from now on, so that a test runner's teardown can close
 * what a test left open (`troupe/jest`, `troupe/vitest`). Off by default: a long-running process records nothing.
 */
export function trackOpenResources(): void {
  tracking = true;
}

/** Called by a resource when it opens (a no-op unless tracking is on). */
export function opened(resource: OpenResource): void {
  if (tracking) open.add(resource);
}

/** Called by a resource when it is closed. */
export function closed(resource: OpenResource): void {
  open.delete(resource);
}

/**
 * Closes every tracked resource still open, the newest first (a tap before the connection it consumes on), and
 * returns how many there were. A resource that fails to close does not keep the others open; the first failure is
 * rethrown afterwards.
 */
export async function closeOpenResources(): Promise<number> {
  const pending = [...open].reverse();
  open.clear();
  let failure: { readonly error: unknown } | undefined;
  for (const resource of pending) {
    try {
      await resource.close();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
  return pending.length;
}
