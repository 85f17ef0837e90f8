import { createServer, connect, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { startChaosProxy } from '../../../harness/chaos/index';
import { encodeFrame, FrameType, PROTOCOL_HEADER } from '../../../harness/chaos/codec/frame';

/** A fake broker on loopback that records every byte it gets and sends what the test tells it to. */
async function fakeBroker(): Promise<{
  server: Server;
  port: number;
  received: () => Buffer;
  peer: Promise<Socket>;
}> {
  const chunks: Buffer[] = [];
  let resolvePeer: (socket: Socket) => void = () => undefined;
  const peer = new Promise<Socket>((resolve) => (resolvePeer = resolve));
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    resolvePeer(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as { port: number }).port,
    received: () => Buffer.concat(chunks),
    peer,
  };
}

const shortstr = (text: string): Buffer =>
  Buffer.concat([Buffer.from([Buffer.byteLength(text)]), Buffer.from(text)]);
const method = (id: number, rest: Buffer): Buffer => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(id, 0);
  return Buffer.concat([head, rest]);
};
const contentHeader = (size: number): Buffer => {
  const payload = Buffer.alloc(14);
  payload.writeUInt16BE(60, 0);
  payload.writeBigUInt64BE(BigInt(size), 4);
  return payload;
};
/** A content unit: the method, its header and the body in frames of at most 50 bytes. */
const content = (channel: number, methodPayload: Buffer, body: Buffer): Buffer[] => {
  const frames = [
    encodeFrame(FrameType.method, channel, methodPayload),
    encodeFrame(FrameType.header, channel, contentHeader(body.length)),
  ];
  for (let offset = 0; offset < body.length; offset += 50)
    frames.push(encodeFrame(FrameType.body, channel, body.subarray(offset, offset + 50)));
  return frames;
};

const until = async (check: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

describe('chaos proxy passthrough (fake broker on loopback, no RabbitMQ)', () => {
  it('property: with no fault, every byte arrives unchanged in both directions', async () => {
    const unit = (side: 'client' | 'broker') =>
      fc.oneof(
        fc.constant([encodeFrame(FrameType.heartbeat, 0, Buffer.alloc(0))]),
        // queue.declare-like methods the proxy does not act on, with arbitrary arguments
        fc
          .tuple(fc.integer({ min: 1, max: 3 }), fc.uint8Array({ maxLength: 40 }))
          .map(([channel, bytes]) => [
            encodeFrame(FrameType.method, channel, method(0x0032000a, Buffer.from(bytes))),
          ]),
        fc
          .tuple(fc.integer({ min: 1, max: 3 }), fc.uint8Array({ maxLength: 200 }))
          .map(([channel, body]) =>
            side === 'client'
              ? content(
                  channel,
                  method(
                    0x003c0028,
                    Buffer.concat([Buffer.alloc(2), shortstr('ex'), shortstr('key.a'), Buffer.from([0])]),
                  ),
                  Buffer.from(body),
                )
              : content(
                  channel,
                  method(
                    0x003c0032,
                    Buffer.concat([
                      Buffer.from([1, 56]),
                      shortstr('NO_ROUTE'),
                      shortstr('ex'),
                      shortstr('k'),
                    ]),
                  ),
                  Buffer.from(body),
                ),
          ),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(unit('client'), { maxLength: 15 }),
        fc.array(unit('broker'), { maxLength: 15 }),
        async (fromClient, fromBroker) => {
          const broker = await fakeBroker();
          const proxy = await startChaosProxy({
            upstream: `amqp://127.0.0.1:${broker.port}`,
            listeners: [{ service: 's' }],
          });
          const client = connect(proxy.portOf('s'), '127.0.0.1');
          const atClient: Buffer[] = [];
          client.on('data', (chunk: Buffer) => atClient.push(chunk));
          try {
            const sent = Buffer.concat([PROTOCOL_HEADER, ...fromClient.flat()]);
            client.write(sent);
            await until(() => broker.received().length === sent.length);
            expect(broker.received().equals(sent)).toBe(true);
            const back = Buffer.concat(fromBroker.flat());
            (await broker.peer).write(back);
            await until(() => Buffer.concat(atClient).length === back.length);
            expect(Buffer.concat(atClient).equals(back)).toBe(true);
          } finally {
            client.destroy();
            await proxy.stop();
            broker.server.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('deliveries keep their bytes while no fault shifted the tags', async () => {
    const broker = await fakeBroker();
    const proxy = await startChaosProxy({
      upstream: `amqp://127.0.0.1:${broker.port}`,
      listeners: [{ service: 's' }],
    });
    const client = connect(proxy.portOf('s'), '127.0.0.1');
    const atClient: Buffer[] = [];
    client.on('data', (chunk: Buffer) => atClient.push(chunk));
    try {
      client.write(PROTOCOL_HEADER);
      const deliveries = [1, 2, 3].flatMap((tag) => {
        const tagBytes = Buffer.alloc(8);
        tagBytes.writeBigUInt64BE(BigInt(tag));
        return content(
          1,
          method(
            0x003c003c,
            Buffer.concat([shortstr('ctag'), tagBytes, Buffer.from([0]), shortstr('ex'), shortstr('k')]),
          ),
          Buffer.from(`body ${tag}`),
        );
      });
      const back = Buffer.concat(deliveries);
      (await broker.peer).write(back);
      await until(() => Buffer.concat(atClient).length === back.length);
      expect(Buffer.concat(atClient).equals(back)).toBe(true);
      // The client acks tag 3 with multiple: the broker gets exactly that frame.
      const ack = encodeFrame(
        FrameType.method,
        1,
        method(0x003c0050, Buffer.from([0, 0, 0, 0, 0, 0, 0, 3, 1])),
      );
      client.write(ack);
      await until(() => broker.received().length === PROTOCOL_HEADER.length + ack.length);
      expect(broker.received().subarray(PROTOCOL_HEADER.length).equals(ack)).toBe(true);
    } finally {
      client.destroy();
      await proxy.stop();
      broker.server.close();
    }
  });

  it('an unexpected frame from the broker closes that one connection, naming the service and the frame', async () => {
    const broker = await fakeBroker();
    const lines: string[] = [];
    const proxy = await startChaosProxy({
      upstream: `amqp://127.0.0.1:${broker.port}`,
      listeners: [{ service: 'billing' }],
      log: (line) => lines.push(line),
    });
    const client = connect(proxy.portOf('billing'), '127.0.0.1');
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => undefined);
    try {
      client.write(PROTOCOL_HEADER);
      // A content body on channel 2 with no basic.deliver before it.
      (await broker.peer).write(encodeFrame(FrameType.body, 2, Buffer.from('stray')));
      await closed;
      expect(lines).toEqual([
        'billing connection 1: unexpected-frame from the broker: content body frame on channel 2 from the broker without a content method before it; closing this connection',
      ]);
      expect(proxy.connections()).toEqual([]);
    } finally {
      client.destroy();
      await proxy.stop();
      broker.server.close();
    }
  });
});
