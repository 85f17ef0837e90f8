import { WireReader } from './wire-reader';

/**
 * The AMQP 0-9-1 methods the proxy acts on, decoded from and encoded to a method frame's payload. Every other
 * method passes through as raw bytes; `methodName` names any method for log lines. Ids from the protocol's method
 * table (rabbitmq-codegen amqp-rabbitmq-0.9.1.json, plus RabbitMQ's basic.nack and confirm extensions).
 */
export const Method = {
  connectionTune: 0x000a_001e,
  connectionClose: 0x000a_0032,
  connectionCloseOk: 0x000a_0033,
  channelOpen: 0x0014_000a,
  channelClose: 0x0014_0028,
  channelCloseOk: 0x0014_0029,
  basicQos: 0x003c_000a,
  basicConsume: 0x003c_0014,
  basicConsumeOk: 0x003c_0015,
  basicCancel: 0x003c_001e,
  basicCancelOk: 0x003c_001f,
  basicPublish: 0x003c_0028,
  basicReturn: 0x003c_0032,
  basicDeliver: 0x003c_003c,
  basicGet: 0x003c_0046,
  basicGetOk: 0x003c_0047,
  basicGetEmpty: 0x003c_0048,
  basicAck: 0x003c_0050,
  basicReject: 0x003c_005a,
  basicRecoverAsync: 0x003c_0064,
  basicRecover: 0x003c_006e,
  basicNack: 0x003c_0078,
  confirmSelect: 0x0055_000a,
  confirmSelectOk: 0x0055_000b,
} as const;

/** class id << 16 | method id, read from a method frame's payload. */
export function methodId(payload: Buffer): number {
  if (payload.length < 4) return -1;
  return payload.readUInt32BE(0);
}

const CLASS_NAMES: Record<number, string> = {
  10: 'connection',
  20: 'channel',
  40: 'exchange',
  50: 'queue',
  60: 'basic',
  85: 'confirm',
  90: 'tx',
};

const METHOD_NAMES: Record<number, Record<number, string>> = {
  10: {
    10: 'start',
    11: 'start-ok',
    20: 'secure',
    21: 'secure-ok',
    30: 'tune',
    31: 'tune-ok',
    40: 'open',
    41: 'open-ok',
    50: 'close',
    51: 'close-ok',
    60: 'blocked',
    61: 'unblocked',
    70: 'update-secret',
    71: 'update-secret-ok',
  },
  20: { 10: 'open', 11: 'open-ok', 20: 'flow', 21: 'flow-ok', 40: 'close', 41: 'close-ok' },
  40: {
    10: 'declare',
    11: 'declare-ok',
    20: 'delete',
    21: 'delete-ok',
    30: 'bind',
    31: 'bind-ok',
    40: 'unbind',
    51: 'unbind-ok',
  },
  50: {
    10: 'declare',
    11: 'declare-ok',
    20: 'bind',
    21: 'bind-ok',
    30: 'purge',
    31: 'purge-ok',
    40: 'delete',
    41: 'delete-ok',
    50: 'unbind',
    51: 'unbind-ok',
  },
  60: {
    10: 'qos',
    11: 'qos-ok',
    20: 'consume',
    21: 'consume-ok',
    30: 'cancel',
    31: 'cancel-ok',
    40: 'publish',
    50: 'return',
    60: 'deliver',
    70: 'get',
    71: 'get-ok',
    72: 'get-empty',
    80: 'ack',
    90: 'reject',
    100: 'recover-async',
    110: 'recover',
    111: 'recover-ok',
    120: 'nack',
  },
  85: { 10: 'select', 11: 'select-ok' },
  90: { 10: 'select', 11: 'select-ok', 20: 'commit', 21: 'commit-ok', 30: 'rollback', 31: 'rollback-ok' },
};

/** "basic.deliver", or "class 99 method 1" for ids outside the table. */
export function methodName(id: number): string {
  const classId = id >>> 16;
  const method = id & 0xffff;
  const name = METHOD_NAMES[classId]?.[method];
  return name === undefined ? `class ${classId} method ${method}` : `${CLASS_NAMES[classId]}.${name}`;
}

/** basic.deliver, with the offsets of the fields the proxy rewrites. */
export interface BasicDeliver {
  readonly consumerTag: string;
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  /** Offset of the 8-byte delivery tag inside the payload. */
  readonly tagOffset: number;
  /** Offset of the bit octet (redelivered) inside the payload. */
  readonly bitsOffset: number;
}

/** Decodes basic.deliver (and where its tag and flags sit, to rewrite them in place). */
export function decodeBasicDeliver(payload: Buffer): BasicDeliver {
  const reader = new WireReader(payload, 'basic.deliver', 4);
  const consumerTag = reader.shortstr();
  const tagOffset = reader.offset;
  const deliveryTag = reader.longlong();
  const bitsOffset = reader.offset;
  const redelivered = (reader.octet() & 1) !== 0;
  const exchange = reader.shortstr();
  const routingKey = reader.shortstr();
  return { consumerTag, deliveryTag, redelivered, exchange, routingKey, tagOffset, bitsOffset };
}

/** Offset of basic.get-ok's delivery tag inside the payload. */
export const GET_OK_TAG_OFFSET = 4;

/** basic.ack, basic.nack, basic.reject (from the client: acknowledgements; from the broker: publisher confirms). */
export interface Acknowledgement {
  readonly kind: 'ack' | 'nack' | 'reject';
  readonly deliveryTag: number;
  readonly multiple: boolean;
  /** nack and reject only; ack → false. */
  readonly requeue: boolean;
}

/** Decodes basic.ack, basic.nack or basic.reject (by the method id). */
export function decodeAcknowledgement(payload: Buffer): Acknowledgement {
  const id = methodId(payload);
  const kind = id === Method.basicAck ? 'ack' : id === Method.basicNack ? 'nack' : 'reject';
  const reader = new WireReader(payload, `basic.${kind}`, 4);
  const deliveryTag = reader.longlong();
  const bits = reader.octet();
  if (kind === 'reject') return { kind, deliveryTag, multiple: false, requeue: (bits & 1) !== 0 };
  return { kind, deliveryTag, multiple: (bits & 1) !== 0, requeue: kind === 'nack' && (bits & 2) !== 0 };
}

/** Encodes basic.ack / basic.nack / basic.reject as a method-frame payload. */
export function encodeAcknowledgement(ack: Acknowledgement): Buffer {
  const payload = Buffer.alloc(13);
  const id =
    ack.kind === 'ack' ? Method.basicAck : ack.kind === 'nack' ? Method.basicNack : Method.basicReject;
  payload.writeUInt32BE(id, 0);
  payload.writeBigUInt64BE(BigInt(ack.deliveryTag), 4);
  const bits =
    ack.kind === 'reject'
      ? ack.requeue
        ? 1
        : 0
      : (ack.multiple ? 1 : 0) | (ack.kind === 'nack' && ack.requeue ? 2 : 0);
  payload.writeUInt8(bits, 12);
  return payload;
}

/** basic.publish: where the message goes. */
export interface BasicPublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly mandatory: boolean;
}

/** Decodes basic.publish. */
export function decodeBasicPublish(payload: Buffer): BasicPublish {
  const reader = new WireReader(payload, 'basic.publish', 4);
  reader.skip(2); // ticket
  const exchange = reader.shortstr();
  const routingKey = reader.shortstr();
  const bits = reader.octet();
  return { exchange, routingKey, mandatory: (bits & 1) !== 0 };
}

/** basic.consume: the queue, the tag asked for, and whether acks are off. */
export interface BasicConsume {
  readonly queue: string;
  readonly consumerTag: string;
  readonly noAck: boolean;
  readonly nowait: boolean;
}

/** Decodes basic.consume. */
export function decodeBasicConsume(payload: Buffer): BasicConsume {
  const reader = new WireReader(payload, 'basic.consume', 4);
  reader.skip(2); // ticket
  const queue = reader.shortstr();
  const consumerTag = reader.shortstr();
  const bits = reader.octet(); // no-local, no-ack, exclusive, nowait
  return { queue, consumerTag, noAck: (bits & 2) !== 0, nowait: (bits & 8) !== 0 };
}

/** basic.consume-ok, basic.cancel, basic.cancel-ok: the consumer tag first. */
export function decodeConsumerTag(payload: Buffer, what: string): string {
  return new WireReader(payload, what, 4).shortstr();
}

/** basic.qos: the prefetch. */
export interface BasicQos {
  readonly prefetchCount: number;
  readonly global: boolean;
}

/** Decodes basic.qos. */
export function decodeBasicQos(payload: Buffer): BasicQos {
  const reader = new WireReader(payload, 'basic.qos', 4);
  reader.skip(4); // prefetch-size
  const prefetchCount = reader.short();
  return { prefetchCount, global: (reader.octet() & 1) !== 0 };
}

/** connection.tune: what the broker offers. */
export interface ConnectionTune {
  readonly channelMax: number;
  readonly frameMax: number;
  readonly heartbeat: number;
}

/** Decodes connection.tune. */
export function decodeConnectionTune(payload: Buffer): ConnectionTune {
  const reader = new WireReader(payload, 'connection.tune', 4);
  return { channelMax: reader.short(), frameMax: reader.long(), heartbeat: reader.short() };
}

/** connection.close and channel.close. */
export interface CloseMethod {
  readonly replyCode: number;
  readonly replyText: string;
  readonly classId: number;
  readonly methodId: number;
}

/** Decodes connection.close or channel.close (`what` names it in errors). */
export function decodeClose(payload: Buffer, what: string): CloseMethod {
  const reader = new WireReader(payload, what, 4);
  return {
    replyCode: reader.short(),
    replyText: reader.shortstr(),
    classId: reader.short(),
    methodId: reader.short(),
  };
}

/** connection.close as a method-frame payload. */
export function encodeConnectionClose(close: CloseMethod): Buffer {
  const text = Buffer.from(close.replyText.slice(0, 255), 'utf8').subarray(0, 255);
  const payload = Buffer.alloc(4 + 2 + 1 + text.length + 4);
  payload.writeUInt32BE(Method.connectionClose, 0);
  payload.writeUInt16BE(close.replyCode, 4);
  payload.writeUInt8(text.length, 6);
  text.copy(payload, 7);
  payload.writeUInt16BE(close.classId, 7 + text.length);
  payload.writeUInt16BE(close.methodId, 9 + text.length);
  return payload;
}
