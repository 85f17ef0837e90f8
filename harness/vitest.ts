/**
 * `troupe/vitest`: Troupe's flow matchers on Vitest's `expect` (with their types), and a teardown that closes
 * every tap and AMQP connection a test file left open. Load it as a setup file — `setupFiles: ['troupe/vitest']`
 * in vitest.config — or import it at the top of one test file.
 *
 * @packageDocumentation
 */
import { afterAll, expect } from 'vitest';
import { closeOpenResources, trackOpenResources } from './_internals/open-resources';
import { flowMatchers, type FlowMatchers } from './assert/matchers';

expect.extend(flowMatchers);
trackOpenResources();
afterAll(closeOpenResources);

declare module 'vitest' {
  // The declaration merges with Vitest's own, so it must repeat its type parameter (unused here).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unused-vars, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends FlowMatchers<void> {}
}

export { flowMatchers } from './assert/matchers';
export type { FlowMatchers } from './assert/matchers';
export { closeOpenResources } from './_internals/open-resources';
