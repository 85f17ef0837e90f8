import { ChaosError } from '../chaos-error';

/** Reads AMQP 0-9-1 field types from a payload; reading past its end throws `malformed-frame` naming `what`. */
export class WireReader {
  offset: number;
  constructor(
    private readonly bytes: Buffer,
    private readonly what: string,
    offset = 0,
  ) {
    this.offset = offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) {
      throw new ChaosError(
        'malformed-frame',
        `${this.what}: truncated (needed ${n} byte(s) at offset ${this.offset} of ${this.bytes.length})`,
      );
    }
  }
  octet(): number {
    this.need(1);
    return this.bytes.readUInt8(this.offset++);
  }
  short(): number {
    this.need(2);
    const value = this.bytes.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  long(): number {
    this.need(4);
    const value = this.bytes.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  longlong(): number {
    this.need(8);
    const value = this.bytes.readBigUInt64BE(this.offset);
    this.offset += 8;
    return Number(value);
  }
  shortstr(): string {
    const length = this.octet();
    this.need(length);
    const value = this.bytes.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  longstrBytes(): Buffer {
    const length = this.long();
    this.need(length);
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }
  /** A field table (headers); values decoded to plain JS (longstr as string, byte arrays as Buffer). */
  table(): Record<string, unknown> {
    const bytes = this.longstrBytes();
    const inner = new WireReader(bytes, `${this.what} (field table)`);
    const table: Record<string, unknown> = {};
    while (inner.offset < bytes.length) {
      const key = inner.shortstr();
      table[key] = inner.fieldValue();
    }
    return table;
  }
  private fieldValue(): unknown {
    const type = String.fromCharCode(this.octet());
    switch (type) {
      case 't':
        return this.octet() !== 0;
      case 'b':
        this.need(1);
        return this.bytes.readInt8(this.offset++);
      case 'B':
        return this.octet();
      case 's': {
        this.need(2);
        const value = this.bytes.readInt16BE(this.offset);
        this.offset += 2;
        return value;
      }
      case 'u':
        return this.short();
      case 'I': {
        this.need(4);
        const value = this.bytes.readInt32BE(this.offset);
        this.offset += 4;
        return value;
      }
      case 'i':
        return this.long();
      case 'l': {
        this.need(8);
        const value = Number(this.bytes.readBigInt64BE(this.offset));
        this.offset += 8;
        return value;
      }
      case 'f': {
        this.need(4);
        const value = this.bytes.readFloatBE(this.offset);
        this.offset += 4;
        return value;
      }
      case 'd': {
        this.need(8);
        const value = this.bytes.readDoubleBE(this.offset);
        this.offset += 8;
        return value;
      }
      case 'D': {
        const scale = this.octet();
        this.need(4);
        const value = this.bytes.readInt32BE(this.offset);
        this.offset += 4;
        return value / 10 ** scale;
      }
      case 'S':
        return this.longstrBytes().toString('utf8');
      case 'x':
        return Buffer.from(this.longstrBytes());
      case 'A': {
        const bytes = this.longstrBytes();
        const inner = new WireReader(bytes, `${this.what} (field array)`);
        const values: unknown[] = [];
        while (inner.offset < bytes.length) values.push(inner.fieldValue());
        return values;
      }
      case 'T':
        return new Date(this.longlong() * 1000);
      case 'F':
        return this.table();
      case 'V':
        return null;
      default:
        throw new ChaosError(
          'malformed-frame',
          `${this.what}: unknown field type '${type}' at offset ${this.offset - 1}`,
        );
    }
  }
}
