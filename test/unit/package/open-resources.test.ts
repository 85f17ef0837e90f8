import {
  closed,
  closeOpenResources,
  opened,
  trackOpenResources,
  type OpenResource,
} from '../../../harness/_internals/open-resources';

describe('open resources (what troupe/jest and troupe/vitest close after a test file)', () => {
  const resource = (name: string, order: string[], fail = false): OpenResource => ({
    close: () => {
      order.push(name);
      return fail ? Promise.reject(new Error(`${name} would not close`)) : Promise.resolve();
    },
  });

  it('closes what is still open, newest first, and forgets what was closed', async () => {
    trackOpenResources();
    const order: string[] = [];
    const connection = resource('connection', order);
    const tap = resource('tap', order);
    const closedTap = resource('closed tap', order);
    opened(connection);
    opened(tap);
    opened(closedTap);
    closed(closedTap);
    await expect(closeOpenResources()).resolves.toBe(2);
    expect(order).toEqual(['tap', 'connection']);
    await expect(closeOpenResources()).resolves.toBe(0);
  });

  it('closes the others when one fails, then rethrows the failure', async () => {
    trackOpenResources();
    const order: string[] = [];
    opened(resource('a', order));
    opened(resource('b', order, true));
    opened(resource('c', order));
    await expect(closeOpenResources()).rejects.toThrow('b would not close');
    expect(order).toEqual(['c', 'b', 'a']);
  });
});
