import { createServer, type Server } from 'node:net';
import { eventually, holdsFor } from '../../../harness/assert';
import { PostgresStore } from '../../../reference-services/kit/postgres-store';

/** A TCP server that counts connection attempts and hangs up on each: a database that is down. */
async function refusingServer(): Promise<{ server: Server; attempts: () => number; url: string }> {
  let attempts = 0;
  const server = createServer((socket) => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { server, attempts: () => attempts, url: `postgres://postgres@127.0.0.1:${address.port}/test` };
}

describe('PostgresStore LISTEN', () => {
  it('reports a failed first LISTEN once, and close() stops its reconnect loop', async () => {
    const { server, attempts, url } = await refusingServer();
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const store = new PostgresStore({ url, namespace: 'listen_leak' });
      store.onOutboxWritten(() => undefined);
      store.onOutboxWritten(() => undefined);
      await eventually(() => errors.mock.calls.length > 0, {
        within: 5_000,
        description: 'the failed LISTEN to be reported',
      });
      expect(errors.mock.calls).toHaveLength(1); // once, not once per subscriber
      await store.close();
      const after = attempts();
      // The driver retries 500 ms after a failure: a longer quiet window means nothing is left retrying.
      await holdsFor(() => attempts() === after || `${attempts() - after} attempt(s) after close()`, {
        during: 700,
        every: 100,
        description: 'no LISTEN reconnect after close()',
      });
    } finally {
      errors.mockRestore();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
