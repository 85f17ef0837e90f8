import { WireReader } from './wire-reader';

/** The basic-class properties the proxy reads (for fault selection through an envelope adapter). */
export interface ContentProperties {
  readonly contentType?: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly correlationId?: string;
  readonly messageId?: string;
  readonly type?: string;
}

/** A content header frame's body size. */
export function contentBodySize(payload: Buffer): number {
  return new WireReader(payload, 'content header', 4).longlong();
}

/** Decodes the properties of a basic-class content header (flags are read in the protocol's order). */
export function decodeContentProperties(payload: Buffer): ContentProperties {
  const reader = new WireReader(payload, 'content header', 12);
  const flags = reader.short();
  // Bit 0 set means another 16-bit flag word follows; basic has 14 properties, so any further words are empty.
  let more = flags & 1;
  while (more !== 0) more = reader.short() & 1;
  const has = (bit: number): boolean => (flags & (1 << bit)) !== 0;
  let contentType: string | undefined;
  let headers: Record<string, unknown> = {};
  let correlationId: string | undefined;
  let messageId: string | undefined;
  let type: string | undefined;
  if (has(15)) contentType = reader.shortstr();
  if (has(14)) reader.shortstr(); // content-encoding
  if (has(13)) headers = reader.table();
  if (has(12)) reader.octet(); // delivery-mode
  if (has(11)) reader.octet(); // priority
  if (has(10)) correlationId = reader.shortstr();
  if (has(9)) reader.shortstr(); // reply-to
  if (has(8)) reader.shortstr(); // expiration
  if (has(7)) messageId = reader.shortstr();
  if (has(6)) reader.longlong(); // timestamp
  if (has(5)) type = reader.shortstr();
  return {
    headers,
    ...(contentType === undefined ? {} : { contentType }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(messageId === undefined ? {} : { messageId }),
    ...(type === undefined ? {} : { type }),
  };
}
