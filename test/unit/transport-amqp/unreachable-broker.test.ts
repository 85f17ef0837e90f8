import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AmqpTransport } from '../../../harness/transport/amqp/amqp-transport';
import { AmqpTransportError } from '../../../harness/transport/amqp/amqp-transport-error';

/** A port that refused connections a moment ago (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('AmqpTransport without a reachable broker', () => {
  it('fails connected(), publish and declare with stable codes and closes cleanly', async () => {
    const errors: AmqpTransportError[] = [];
    const transport = new AmqpTransport({
      url: `amqp://guest:guest@127.0.0.1:${await deadPort()}`,
      acquireTimeoutMs: 200,
      publishAttempts: 1,
      onError: (error) => errors.push(error),
    });
    try {
      await expect(transport.connected(200)).rejects.toMatchObject({ code: 'connection-lost' });
      const publish = await transport
        .publish('x', { routingKey: 'k', body: new Uint8Array([1]) })
        .catch((e: unknown) => e);
      expect(publish).toBeInstanceOf(AmqpTransportError);
      expect(publish).toMatchObject({ code: 'publish-failed' });
      expect((publish as Error).message).toMatch(/exchange "x" with routing key "k"/);
      await expect(
        transport.declare({ exchanges: [{ name: 'x', type: 'topic' }], queues: [] }),
      ).rejects.toMatchObject({ code: 'declare-failed' });
      expect(transport.state).toBe('connecting');
      expect(errors.map((e) => e.code)).toContain('connection-lost');
    } finally {
      await transport.close();
    }
    expect(transport.state).toBe('closed');
    await expect(transport.publish('x', { routingKey: 'k', body: new Uint8Array() })).rejects.toMatchObject({
      code: 'closed',
    });
  });

  it('rejects an invalid topology before touching the broker, naming the element', async () => {
    const transport = new AmqpTransport({
      url: `amqp://127.0.0.1:${await deadPort()}`,
      onError: () => undefined,
    });
    try {
      await expect(
        transport.declare({ exchanges: [], queues: [{ name: 'q', exchange: 'e', bindings: ['a b'] }] }),
      ).rejects.toMatchObject({
        code: 'invalid-topology',
        message: expect.stringContaining('bindings[0]') as unknown,
      });
      await expect(transport.consume('q', () => Promise.resolve('ack'), { prefetch: 0 })).rejects.toThrow(
        /prefetch must be an integer 1..65535, got 0/,
      );
    } finally {
      await transport.close();
    }
  });
});
