import { ChaosError } from '../chaos-error';

/** AMQP 0-9-1 frame types. */
export const FrameType = { method: 1, header: 2, body: 3, heartbeat: 8 } as const;

/** The byte every frame ends with. */
export const FRAME_END = 0xce;

/** What a client sends before its first frame: "AMQP" 0 0 9 1. */
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/** Frame header (type, channel, size) plus frame-end. */
const FRAME_OVERHEAD = 8;

/** One frame as it came off the wire. `raw` is the whole frame (header, payload, frame-end), for passthrough. */
export interface Frame {
  readonly type: number;
  readonly channel: number;
  readonly payload: Buffer;
  readonly raw: Buffer;
}

/** Frames without a payload limit negotiated yet may still not exceed this (RabbitMQ's own ceiling is 128 KiB by default). */
const DEFAULT_MAX_FRAME = 128 * 1024 * 1024;

/**
 * Splits a byte stream into frames, incrementally: `push` a chunk, get every frame completed by it. The frames'
 * buffers are views into the chunk (no copy) unless a frame straddles chunks. A malformed frame throws a
 * `ChaosError` (`malformed-frame`) that names it.
 */
export class FrameReader {
  private pending: Buffer | undefined;
  private expectProtocolHeader: boolean;
  /** Largest frame accepted (frame-max from connection.tune once negotiated). */
  maxFrameSize = DEFAULT_MAX_FRAME;

  constructor(options: { readonly protocolHeaderFirst: boolean }) {
    this.expectProtocolHeader = options.protocolHeaderFirst;
  }

  /** The frames completed by `chunk`; `header` is set when the chunk completed the 8-byte protocol header. */
  push(chunk: Buffer): { readonly header?: Buffer; readonly frames: Frame[] } {
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let header: Buffer | undefined;
    if (this.expectProtocolHeader) {
      if (data.length < PROTOCOL_HEADER.length) {
        this.pending = data;
        return { frames: [] };
      }
      header = data.subarray(0, PROTOCOL_HEADER.length);
      if (!header.equals(PROTOCOL_HEADER)) {
        throw new ChaosError(
          'malformed-frame',
          `expected the AMQP 0-9-1 protocol header, got ${hex(header)}`,
        );
      }
      this.expectProtocolHeader = false;
      data = data.subarray(PROTOCOL_HEADER.length);
    }
    const frames: Frame[] = [];
    let offset = 0;
    while (data.length - offset >= 7) {
      const type = data.readUInt8(offset);
      const channel = data.readUInt16BE(offset + 1);
      const size = data.readUInt32BE(offset + 3);
      if (type !== 1 && type !== 2 && type !== 3 && type !== 8) {
        throw new ChaosError(
          'malformed-frame',
          `unknown frame type ${type} (channel ${channel}, size ${size}; bytes ${hex(data.subarray(offset, offset + 16))})`,
        );
      }
      if (size + FRAME_OVERHEAD > this.maxFrameSize) {
        throw new ChaosError(
          'malformed-frame',
          `${frameTypeName(type)} frame on channel ${channel} of ${size} bytes exceeds frame-max ${this.maxFrameSize}`,
        );
      }
      const end = offset + 7 + size;
      if (data.length < end + 1) break;
      if (data.readUInt8(end) !== FRAME_END) {
        throw new ChaosError(
          'malformed-frame',
          `${frameTypeName(type)} frame on channel ${channel} (size ${size}) does not end with 0xCE (got 0x${data.readUInt8(end).toString(16)})`,
        );
      }
      frames.push({
        type,
        channel,
        payload: data.subarray(offset + 7, end),
        raw: data.subarray(offset, end + 1),
      });
      offset = end + 1;
    }
    if (offset < data.length) this.pending = Buffer.from(data.subarray(offset));
    return header === undefined ? { frames } : { header, frames };
  }

  /** Bytes received but not yet a whole frame. */
  buffered(): number {
    return this.pending?.length ?? 0;
  }
}

/** Encodes one frame. */
export function encodeFrame(type: number, channel: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(payload.length + FRAME_OVERHEAD);
  frame.writeUInt8(type, 0);
  frame.writeUInt16BE(channel, 1);
  frame.writeUInt32BE(payload.length, 3);
  payload.copy(frame, 7);
  frame.writeUInt8(FRAME_END, payload.length + 7);
  return frame;
}

/** "method", "header", "body", "heartbeat". */
export function frameTypeName(type: number): string {
  switch (type) {
    case FrameType.method:
      return 'method';
    case FrameType.header:
      return 'content header';
    case FrameType.body:
      return 'content body';
    case FrameType.heartbeat:
      return 'heartbeat';
    default:
      return `type-${type}`;
  }
}

function hex(bytes: Buffer): string {
  return bytes.toString('hex').replace(/(..)/g, '$1 ').trim();
}
