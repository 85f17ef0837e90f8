import fc from 'fast-check';
import { ChaosError } from '../../../harness/chaos/chaos-error';
import { contentBodySize, decodeContentProperties } from '../../../harness/chaos/codec/content-header';
import { encodeFrame, FrameReader, FrameType, PROTOCOL_HEADER } from '../../../harness/chaos/codec/frame';
import {
  decodeAcknowledgement,
  decodeBasicDeliver,
  decodeClose,
  encodeAcknowledgement,
  encodeConnectionClose,
  Method,
  methodId,
  methodName,
} from '../../../harness/chaos/codec/methods';

const frameArbitrary = fc.record({
  type: fc.constantFrom(FrameType.method, FrameType.header, FrameType.body, FrameType.heartbeat),
  channel: fc.nat({ max: 65535 }),
  payload: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
});

/** Splits `bytes` at the given cut points. */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const result: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    result.push(bytes.subarray(start, point));
    start = point;
  }
  result.push(bytes.subarray(start));
  return result;
}

describe('FrameReader', () => {
  it('property: any chunking of a frame stream yields the same frames, with raw bytes equal to the input', () => {
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const encoded = frames.map((f) => encodeFrame(f.type, f.channel, f.payload));
          const stream = Buffer.concat([PROTOCOL_HEADER, ...encoded]);
          const reader = new FrameReader({ protocolHeaderFirst: true });
          const seen: Buffer[] = [];
          let header: Buffer | undefined;
          for (const chunk of chunks(stream, cuts)) {
            const result = reader.push(chunk);
            header ??= result.header;
            for (const frame of result.frames) seen.push(Buffer.from(frame.raw));
          }
          expect(header).toEqual(PROTOCOL_HEADER);
          expect(seen).toEqual(encoded);
          expect(reader.buffered()).toBe(0);
        },
      ),
    );
  });

  it('names what is wrong with a malformed frame', () => {
    const reader = () => new FrameReader({ protocolHeaderFirst: false });
    expect(() => reader().push(Buffer.from([9, 0, 1, 0, 0, 0, 0, 0xce]))).toThrow(
      /unknown frame type 9 \(channel 1/,
    );
    const badEnd = encodeFrame(FrameType.method, 3, Buffer.from([0, 60, 0, 80]));
    badEnd[badEnd.length - 1] = 0;
    expect(() => reader().push(badEnd)).toThrow(
      /method frame on channel 3 \(size 4\) does not end with 0xCE/,
    );
    const small = reader();
    small.maxFrameSize = 100;
    expect(() => small.push(encodeFrame(FrameType.body, 1, Buffer.alloc(200)))).toThrow(
      /exceeds frame-max 100/,
    );
    expect(() => new FrameReader({ protocolHeaderFirst: true }).push(Buffer.from('HTTP/1.1 '))).toThrow(
      ChaosError,
    );
  });
});

describe('methods', () => {
  it('acks, nacks and rejects round-trip', () => {
    for (const ack of [
      { kind: 'ack', deliveryTag: 7, multiple: true, requeue: false },
      { kind: 'nack', deliveryTag: 2 ** 40, multiple: false, requeue: true },
      { kind: 'reject', deliveryTag: 1, multiple: false, requeue: false },
    ] as const) {
      expect(decodeAcknowledgement(encodeAcknowledgement(ack))).toEqual(ack);
    }
  });

  it('decodes basic.deliver with the offsets of its tag and flags', () => {
    const tag = Buffer.from('ctag-1');
    const payload = Buffer.concat([
      Buffer.from([0, 60, 0, 60, tag.length]),
      tag,
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 42, 1, 2]),
      Buffer.from('ex'),
      Buffer.from([5]),
      Buffer.from('a.b.c'),
    ]);
    const deliver = decodeBasicDeliver(payload);
    expect(deliver).toMatchObject({
      consumerTag: 'ctag-1',
      deliveryTag: 42,
      redelivered: true,
      exchange: 'ex',
      routingKey: 'a.b.c',
    });
    expect(payload.readUInt8(deliver.bitsOffset)).toBe(1);
    expect(Number(payload.readBigUInt64BE(deliver.tagOffset))).toBe(42);
    expect(() => decodeBasicDeliver(payload.subarray(0, 12))).toThrow(/basic.deliver: truncated/);
  });

  it('encodes connection.close and names methods', () => {
    const payload = encodeConnectionClose({
      replyCode: 320,
      replyText: 'CONNECTION_FORCED',
      classId: 0,
      methodId: 0,
    });
    expect(methodId(payload)).toBe(Method.connectionClose);
    expect(decodeClose(payload, 'connection.close')).toEqual({
      replyCode: 320,
      replyText: 'CONNECTION_FORCED',
      classId: 0,
      methodId: 0,
    });
    expect(methodName(Method.basicDeliver)).toBe('basic.deliver');
    expect(methodName(Method.confirmSelect)).toBe('confirm.select');
    expect(methodName(0x00990001)).toBe('class 153 method 1');
  });

  it('reads content properties (headers table, message id, type) and the body size', () => {
    const headers = Buffer.concat([
      Buffer.from([1]),
      Buffer.from('k'),
      Buffer.from('S'),
      Buffer.from([0, 0, 0, 2]),
      Buffer.from('v1'),
    ]);
    const table = Buffer.concat([Buffer.alloc(4), headers]);
    table.writeUInt32BE(headers.length, 0);
    const flags = (1 << 15) | (1 << 13) | (1 << 7) | (1 << 5);
    const payload = Buffer.concat([
      Buffer.from([0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, flags >> 8, flags & 0xff]),
      Buffer.from([16]),
      Buffer.from('application/json'),
      table,
      Buffer.from([3]),
      Buffer.from('id1'),
      Buffer.from([2]),
      Buffer.from('T1'),
    ]);
    expect(contentBodySize(payload)).toBe(9);
    expect(decodeContentProperties(payload)).toEqual({
      contentType: 'application/json',
      headers: { k: 'v1' },
      messageId: 'id1',
      type: 'T1',
    });
  });
});
