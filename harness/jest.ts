/**
 * `troupe/jest`: Troupe's flow matchers on Jest's `expect`, and a teardown that closes every tap and AMQP
 * connection a test file left open (after the file's own `afterAll`s, so a tap shared by its tests is not cut
 * short). Load it as a setup file — `setupFilesAfterEnv: ['troupe/jest']` in jest.config — or import it at the
 * top of one test file.
 *
 * @packageDocumentation
 */
import { closeOpenResources, trackOpenResources } from './_internals/open-resources';
import { flowMatchers, type FlowMatchers } from './assert/matchers';

/** The part of Jest's globals this setup uses. */
interface JestGlobals {
  readonly expect?: { extend(matchers: typeof flowMatchers): void };
  readonly afterAll?: (hook: () => Promise<unknown>) => void;
}

const { expect, afterAll } = globalThis as JestGlobals;
if (expect === undefined || afterAll === undefined) {
  throw new Error(
    'troupe/jest must be loaded by Jest (setupFilesAfterEnv or a test file); for Vitest use troupe/vitest',
  );
}
expect.extend(flowMatchers);
trackOpenResources();
afterAll(closeOpenResources);

// The matchers' types on Jest's `expect` (here, not in assert/matchers.ts: a Vitest user's type check must not need
// Jest's `expect` package). In this repository the file is part of the program, so every test sees them.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> extends FlowMatchers<R> {}
  }
}

// For `import { expect } from '@jest/globals'` users: the same matchers on the `expect` package's type.
declare module 'expect' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Matchers<R extends void | Promise<void>, T = unknown> extends FlowMatchers<R> {}
}

export { flowMatchers } from './assert/matchers';
export type { FlowMatchers } from './assert/matchers';
export { closeOpenResources } from './_internals/open-resources';
