import type { Socket } from 'node:net';
import type { EnvelopeAdapter } from '../../events/envelope-adapter';
import { ChaosError } from '../chaos-error';
import { contentBodySize, decodeContentProperties } from '../codec/content-header';
import { encodeFrame, FrameReader, FrameType, frameTypeName, type Frame } from '../codec/frame';
import {
  decodeAcknowledgement,
  decodeBasicConsume,
  decodeBasicDeliver,
  decodeBasicPublish,
  decodeBasicQos,
  decodeConnectionTune,
  decodeConsumerTag,
  encodeAcknowledgement,
  encodeConnectionClose,
  GET_OK_TAG_OFFSET,
  Method,
  methodId,
  methodName,
  type Acknowledgement,
  type BasicDeliver,
} from '../codec/methods';
import { WireReader } from '../codec/wire-reader';
import type { FaultLog } from '../fault-log';
import type { CutHow } from '../plan/chaos-fault';
import type {
  AppliedFault,
  CutDecision,
  DeliveryDecision,
  FaultEngine,
  MessageFacts,
} from '../plan/fault-engine';
import { ChannelState, ConfirmState } from './channel-state';

/** What a session needs from its proxy. */
export interface SessionContext {
  readonly id: number;
  readonly service: string;
  readonly engine: FaultEngine;
  readonly faultLog: FaultLog;
  readonly adapter: EnvelopeAdapter | undefined;
  /** Operational log lines (malformed frames, cuts). */
  readonly info: (line: string) => void;
  /** A fault decided to cut this connection (the proxy handles refusing reconnections). */
  readonly onCut: (session: ConnectionSession, cut: CutDecision) => void;
  readonly onClosed: (session: ConnectionSession) => void;
}

/** A consumer as `connections()` shows it. */
export interface ConsumerView {
  readonly channel: number;
  readonly consumerTag: string;
  readonly queue: string;
  readonly noAck: boolean;
  readonly prefetch: number;
}

/** One proxied connection, for `connections()` and the control API. */
export interface ConnectionView {
  readonly id: number;
  readonly service: string;
  readonly client: string;
  readonly openedAt: string;
  readonly channels: number;
  readonly consumers: readonly ConsumerView[];
  /** Deliveries the consumer holds unacked. */
  readonly unacked: number;
  /** Deliveries the proxy holds back (delay, reorder, pause). */
  readonly held: number;
  /** Acks a fault withheld from the broker. */
  readonly lostAcks: number;
  readonly confirmChannels: number;
}

/** A content-bearing method with its header and body frames, assembled before the proxy decides on it. */
interface ContentUnit {
  readonly method: Frame;
  readonly id: number;
  header?: Frame;
  readonly bodies: Frame[];
  bodySize: number;
  received: number;
}

/** A delivery from the broker, complete, waiting for its fate. */
interface Delivery {
  readonly unit: ContentUnit;
  readonly deliver: BasicDeliver;
  readonly channel: number;
  readonly generation: number;
  readonly noAck: boolean;
  /** The consumer was known (basic.consume-ok seen) when the delivery arrived. */
  readonly consumerKnown: boolean;
  readonly facts: MessageFacts;
}

const CUT_CLOSE_TIMEOUT_MS = 2_000;
/** A tag the broker cannot know, so an ack of a tag the client never got fails as it would without the proxy. */
const UNKNOWN_TAG_OFFSET = 1_000_000_000;

/**
 * One client connection and its upstream connection to the broker. Reads frames in both directions and passes
 * through, byte for byte, every frame no fault touches; renumbers delivery tags per channel once a fault holds,
 * reorders or copies a delivery, so acks, nacks and rejects (single and `multiple`) stay valid towards the broker;
 * tracks confirm-mode sequence numbers so confirms stay right when a publish is dropped or nacked.
 */
export class ConnectionSession {
  readonly openedAt = new Date();
  private readonly fromClient = new FrameReader({ protocolHeaderFirst: true });
  private readonly fromBroker = new FrameReader({ protocolHeaderFirst: false });
  private readonly channels = new Map<number, ChannelState>();
  private generation = 0;
  private readonly inbound = new Map<number, ContentUnit>();
  private readonly outbound = new Map<number, ContentUnit>();
  private nextUnitId = 1;
  private state: 'open' | 'cutting' | 'closed' = 'open';
  private readonly timers = new Set<NodeJS.Timeout>();
  private held = 0;
  private pauseQueue: Delivery[] = [];
  private pauseTimer: NodeJS.Timeout | undefined;
  private readonly groups = new Map<
    string,
    { items: { delivery: Delivery; decision: DeliveryDecision }[]; timer: NodeJS.Timeout }
  >();

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly context: SessionContext,
  ) {
    client.on('data', (chunk: Buffer) => this.guard('client', () => this.onClientData(chunk)));
    upstream.on('data', (chunk: Buffer) => this.guard('broker', () => this.onBrokerData(chunk)));
    client.on('drain', () => upstream.resume());
    upstream.on('drain', () => client.resume());
    client.on('error', () => undefined);
    upstream.on('error', (error) => {
      if (this.state === 'open') this.context.info(`${this.who()}: upstream ${error.message}`);
    });
    client.on('close', () => this.closeBoth());
    upstream.on('close', () => {
      if (this.state === 'cutting') return; // a `close` cut waits for the client's close-ok
      this.closeBoth();
    });
  }

  get id(): number {
    return this.context.id;
  }

  get service(): string {
    return this.context.service;
  }

  /** Cuts this connection: a TCP reset, or connection.close 320 to the client (the upstream is dropped at once,
   * so the broker requeues every unacked delivery). */
  cut(how: CutHow): void {
    if (this.state !== 'open') return;
    this.state = 'cutting';
    this.dropHeld();
    this.upstream.destroy();
    if (how === 'reset') {
      this.client.resetAndDestroy();
      this.closeBoth();
      return;
    }
    const close = encodeConnectionClose({
      replyCode: 320,
      replyText: 'CONNECTION_FORCED - cut by the troupe chaos proxy',
      classId: 0,
      methodId: 0,
    });
    this.client.write(encodeFrame(FrameType.method, 0, close));
    this.addTimer(CUT_CLOSE_TIMEOUT_MS, () => this.closeBoth());
  }

  /** Closes both sides without a fault (proxy stop). */
  close(): void {
    this.closeBoth();
  }

  view(): ConnectionView {
    const consumers: ConsumerView[] = [];
    let unacked = 0;
    let lostAcks = 0;
    let confirmChannels = 0;
    for (const [number, channel] of this.channels) {
      for (const [consumerTag, consumer] of channel.consumers) {
        consumers.push({ channel: number, consumerTag, ...consumer, prefetch: channel.prefetch });
      }
      unacked += channel.clientTags.size;
      lostAcks += channel.lostAcks.size;
      if (channel.confirm !== undefined) confirmChannels += 1;
    }
    return {
      id: this.id,
      service: this.service,
      client: `${this.client.remoteAddress ?? '?'}:${this.client.remotePort ?? '?'}`,
      openedAt: this.openedAt.toISOString(),
      channels: this.channels.size,
      consumers,
      unacked,
      held: this.held,
      lostAcks,
      confirmChannels,
    };
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────────────────────

  private who(): string {
    return `${this.service} connection ${this.id}`;
  }

  private guard(side: 'client' | 'broker', work: () => void): void {
    if (this.state === 'closed') return;
    try {
      work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof ChaosError ? error.code : 'internal-error';
      this.context.info(`${this.who()}: ${code} from the ${side}: ${message}; closing this connection`);
      this.closeBoth();
    }
  }

  private closeBoth(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dropHeld();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.client.destroy();
    this.upstream.destroy();
    this.context.onClosed(this);
  }

  private dropHeld(): void {
    for (const group of this.groups.values()) clearTimeout(group.timer);
    this.groups.clear();
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseQueue = [];
    this.held = 0;
  }

  private addTimer(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.guard('broker', run);
    }, ms);
    this.timers.add(timer);
  }

  private write(socket: Socket, other: Socket, buffers: readonly Buffer[]): void {
    if (buffers.length === 0 || this.state === 'closed') return;
    buffers = coalesce(buffers);
    let ok = true;
    if (buffers.length === 1) ok = socket.write(buffers[0] as Buffer);
    else {
      socket.cork();
      for (const buffer of buffers) ok = socket.write(buffer);
      socket.uncork();
    }
    if (!ok) other.pause(); // backpressure: resumed on 'drain'
  }

  private toClient(buffers: readonly Buffer[]): void {
    if (this.state !== 'open') return;
    this.write(this.client, this.upstream, buffers);
  }

  private toBroker(buffers: readonly Buffer[]): void {
    if (this.state !== 'open') return;
    this.write(this.upstream, this.client, buffers);
  }

  private channel(number: number): ChannelState {
    let channel = this.channels.get(number);
    if (channel === undefined) {
      channel = new ChannelState(++this.generation);
      this.channels.set(number, channel);
    }
    return channel;
  }

  private resetChannel(number: number): void {
    this.channels.delete(number);
    this.inbound.delete(number);
    this.outbound.delete(number);
  }

  private logApplied(applied: readonly AppliedFault[], what: string): void {
    for (const { fault, detail } of applied) {
      this.context.faultLog.record({
        service: this.service,
        connection: this.id,
        kind: fault.kind,
        detail: `${what}: ${detail}`,
      });
    }
  }

  private performCut(cut: CutDecision | undefined, afterWrite: boolean): void {
    if (cut === undefined) return;
    const run = (): void => this.context.onCut(this, cut);
    // Let what was just written leave first: a reset discards unsent bytes.
    if (afterWrite) this.client.write(Buffer.alloc(0), () => setImmediate(run));
    else setImmediate(run);
  }

  // ── content assembly (both directions) ─────────────────────────────────────────────────────────────────────

  /** Adds a header or body frame to the channel's open content unit; returns the unit once complete. */
  private assemble(units: Map<number, ContentUnit>, frame: Frame, side: string): ContentUnit | undefined {
    const unit = units.get(frame.channel);
    if (unit === undefined) {
      throw new ChaosError(
        'unexpected-frame',
        `${frameTypeName(frame.type)} frame on channel ${frame.channel} from the ${side} without a content method before it`,
      );
    }
    if (frame.type === FrameType.header) {
      if (unit.header !== undefined) {
        throw new ChaosError(
          'unexpected-frame',
          `second content header frame on channel ${frame.channel} from the ${side}`,
        );
      }
      unit.header = frame;
      unit.bodySize = contentBodySize(frame.payload);
    } else {
      if (unit.header === undefined) {
        throw new ChaosError(
          'unexpected-frame',
          `content body frame on channel ${frame.channel} from the ${side} before its header`,
        );
      }
      unit.bodies.push(frame);
      unit.received += frame.payload.length;
      if (unit.received > unit.bodySize) {
        throw new ChaosError(
          'unexpected-frame',
          `content body on channel ${frame.channel} from the ${side} exceeds its declared size ${unit.bodySize} (got ${unit.received})`,
        );
      }
    }
    if (unit.received < unit.bodySize) return undefined;
    units.delete(frame.channel);
    return unit;
  }

  private openUnit(units: Map<number, ContentUnit>, frame: Frame): void {
    units.set(frame.channel, { method: frame, id: this.nextUnitId++, bodies: [], bodySize: -1, received: 0 });
  }

  private facts(
    unit: ContentUnit,
    exchange: string,
    routingKey: string,
    redelivered: boolean,
    queue?: string,
  ): MessageFacts {
    const adapter = this.context.adapter;
    let eventType: string | undefined | null = null;
    return {
      service: this.service,
      exchange,
      routingKey,
      redelivered,
      ...(queue === undefined ? {} : { queue }),
      eventType: () => {
        if (eventType !== null) return eventType;
        eventType = undefined;
        if (adapter === undefined || unit.header === undefined) return eventType;
        try {
          const properties = decodeContentProperties(unit.header.payload);
          const body =
            unit.bodies.length === 1
              ? (unit.bodies[0] as Frame).payload
              : Buffer.concat(unit.bodies.map((b) => b.payload));
          eventType = adapter.read({
            body,
            routingKey,
            headers: properties.headers,
            messageId: properties.messageId,
            correlationId: properties.correlationId,
            type: properties.type,
          })?.eventType;
        } catch {
          eventType = undefined; // an unreadable message gets no event-type fault
        }
        return eventType;
      },
    };
  }

  // ── client → broker ────────────────────────────────────────────────────────────────────────────────────────

  private onClientData(chunk: Buffer): void {
    if (this.state === 'cutting') {
      // After a cut nothing the client says reaches the broker; its connection.close-ok ends the connection.
      const { frames } = this.fromClient.push(chunk);
      if (
        frames.some((f) => f.type === FrameType.method && methodId(f.payload) === Method.connectionCloseOk)
      ) {
        this.closeBoth();
      }
      return;
    }
    if (this.state !== 'open') return;
    const { header, frames } = this.fromClient.push(chunk);
    const out: Buffer[] = header === undefined ? [] : [header];
    for (const frame of frames) this.onClientFrame(frame, out);
    this.toBroker(out);
  }

  private onClientFrame(frame: Frame, out: Buffer[]): void {
    if (frame.type === FrameType.heartbeat) {
      out.push(frame.raw);
      return;
    }
    if (frame.type !== FrameType.method) {
      const unit = this.assemble(this.outbound, frame, 'client');
      if (unit !== undefined) this.onPublish(frame.channel, unit, out);
      return;
    }
    if (this.outbound.has(frame.channel)) {
      throw new ChaosError(
        'unexpected-frame',
        `${methodName(methodId(frame.payload))} on channel ${frame.channel} from the client in the middle of a publish's content`,
      );
    }
    const id = methodId(frame.payload);
    switch (id) {
      case Method.basicPublish:
        this.openUnit(this.outbound, frame);
        return;
      case Method.basicAck:
      case Method.basicNack:
      case Method.basicReject:
        this.onClientAck(frame, decodeAcknowledgement(frame.payload), out);
        return;
      case Method.basicConsume: {
        const consume = decodeBasicConsume(frame.payload);
        const channel = this.channel(frame.channel);
        const consumer = { queue: consume.queue, noAck: consume.noAck };
        if (consume.nowait) channel.consumers.set(consume.consumerTag, consumer);
        else channel.pendingConsumes.push(consumer);
        break;
      }
      case Method.basicGet: {
        // ticket, queue, no-ack — remembered for its get-ok's tag bookkeeping
        const reader = new WireReader(frame.payload, 'basic.get', 6);
        const queue = reader.shortstr();
        this.channel(frame.channel).pendingGets.push({ queue, noAck: (reader.octet() & 1) !== 0 });
        break;
      }
      case Method.basicQos:
        this.channel(frame.channel).prefetch = decodeBasicQos(frame.payload).prefetchCount;
        break;
      case Method.confirmSelect: {
        const channel = this.channel(frame.channel);
        channel.confirm ??= new ConfirmState();
        break;
      }
      case Method.basicRecover:
      case Method.basicRecoverAsync: {
        // Everything unacked is redelivered with new tags: the old mappings mean nothing any more.
        const channel = this.channel(frame.channel);
        channel.clientTags.clear();
        channel.brokerTags.clear();
        channel.lostAcks.clear();
        break;
      }
      case Method.channelOpen:
        this.resetChannel(frame.channel);
        this.channel(frame.channel);
        break;
      case Method.channelClose:
      case Method.channelCloseOk:
        this.resetChannel(frame.channel);
        break;
      default:
        break;
    }
    out.push(frame.raw);
  }

  private onClientAck(frame: Frame, ack: Acknowledgement, out: Buffer[]): void {
    const channel = this.channel(frame.channel);
    const covered: [number, NonNullable<ReturnType<typeof channel.clientTags.get>>][] = [];
    if (ack.multiple) {
      for (const entry of channel.clientTags) {
        if (ack.deliveryTag !== 0 && entry[0] > ack.deliveryTag) break;
        covered.push(entry);
      }
      if (covered.length === 0) return; // nothing outstanding up to that tag
    } else {
      const outstanding = channel.clientTags.get(ack.deliveryTag);
      if (outstanding === undefined) {
        // A tag the consumer never got (or settled twice): the broker must see an unknown tag too.
        out.push(
          encodeFrame(
            FrameType.method,
            frame.channel,
            encodeAcknowledgement({ ...ack, deliveryTag: channel.maxBrokerTag + UNKNOWN_TAG_OFFSET }),
          ),
        );
        return;
      }
      covered.push([ack.deliveryTag, outstanding]);
    }
    const toBroker: number[] = [];
    let cut: CutDecision | undefined;
    const faults = this.context.engine.hasFaultsFor(this.service);
    for (const [clientTag, outstanding] of covered) {
      channel.clientTags.delete(clientTag);
      if (outstanding.brokerTag === undefined) continue; // a proxy copy: its ack stays here
      if (ack.kind === 'ack' && faults) {
        const decision = this.context.engine.onAck(outstanding.facts);
        this.logApplied(decision.applied, `ack of ${describeFacts(outstanding.facts)} (tag ${clientTag})`);
        cut ??= decision.cut;
        if (decision.lose) {
          channel.lostAcks.add(outstanding.brokerTag);
          continue;
        }
      }
      channel.brokerTags.delete(outstanding.brokerTag);
      toBroker.push(outstanding.brokerTag);
    }
    if (toBroker.length > 0) {
      const raw = ack.multiple ? undefined : toBroker[0] === ack.deliveryTag ? frame.raw : undefined;
      this.emitSettlements(frame.channel, ack, toBroker, channel.brokerTags.keys().next().value, raw, out);
    }
    this.performCut(cut, false);
  }

  /**
   * Sends the acks (or confirms) for `tags`: one `multiple` frame when nothing else is outstanding below the
   * highest, else one frame per tag. `raw` is the original frame, sent unchanged when it says exactly that.
   */
  private emitSettlements(
    channel: number,
    template: Acknowledgement,
    tags: number[],
    lowestOutstanding: number | undefined,
    raw: Buffer | undefined,
    out: Buffer[],
  ): void {
    const highest = Math.max(...tags);
    const contiguous = lowestOutstanding === undefined || lowestOutstanding > highest;
    if (tags.length === 1 && !template.multiple) {
      out.push(
        raw ??
          encodeFrame(
            FrameType.method,
            channel,
            encodeAcknowledgement({ ...template, deliveryTag: highest }),
          ),
      );
      return;
    }
    if (contiguous && template.kind !== 'reject') {
      if (template.multiple && highest === template.deliveryTag && raw !== undefined) out.push(raw);
      else
        out.push(
          encodeFrame(
            FrameType.method,
            channel,
            encodeAcknowledgement({ ...template, deliveryTag: highest, multiple: true }),
          ),
        );
      return;
    }
    for (const tag of tags.sort((a, b) => a - b)) {
      out.push(
        encodeFrame(
          FrameType.method,
          channel,
          encodeAcknowledgement({ ...template, deliveryTag: tag, multiple: false }),
        ),
      );
    }
  }

  private onPublish(number: number, unit: ContentUnit, out: Buffer[]): void {
    const channel = this.channel(number);
    const frames = [
      unit.method.raw,
      ...(unit.header === undefined ? [] : [unit.header.raw]),
      ...unit.bodies.map((b) => b.raw),
    ];
    const publish = decodeBasicPublish(unit.method.payload);
    const facts = this.facts(unit, publish.exchange, publish.routingKey, false);
    const confirm = channel.confirm;
    const decision = this.context.engine.hasFaultsFor(this.service)
      ? this.context.engine.onPublish(facts, confirm !== undefined)
      : undefined;
    if (decision !== undefined) this.logApplied(decision.applied, `publish of ${describeFacts(facts)}`);
    const action = decision?.action ?? 'forward';
    if (confirm === undefined) {
      if (action !== 'drop') out.push(...frames);
    } else {
      const clientSeq = confirm.nextClientSeq++;
      if (action === 'forward') {
        const brokerSeq = confirm.nextBrokerSeq++;
        const delay = decision?.delayConfirmMs;
        confirm.pending.set(clientSeq, {
          brokerSeq,
          facts,
          ...(delay === undefined ? {} : { delayConfirmMs: delay }),
        });
        confirm.byBroker.set(brokerSeq, clientSeq);
        out.push(...frames);
      } else if (action === 'drop') {
        confirm.pending.set(clientSeq, { brokerSeq: undefined, facts });
      } else {
        this.toClient([
          encodeFrame(
            FrameType.method,
            number,
            encodeAcknowledgement({ kind: 'nack', deliveryTag: clientSeq, multiple: false, requeue: false }),
          ),
        ]);
      }
    }
    if (decision?.cut !== undefined) {
      // Let the publish reach the broker first; the confirm then never reaches the publisher.
      const cut = decision.cut;
      this.toBroker(out.splice(0));
      this.upstream.write(Buffer.alloc(0), () => setImmediate(() => this.context.onCut(this, cut)));
    }
  }

  // ── broker → client ────────────────────────────────────────────────────────────────────────────────────────

  private onBrokerData(chunk: Buffer): void {
    if (this.state !== 'open') return;
    const { frames } = this.fromBroker.push(chunk);
    const out: Buffer[] = [];
    for (const frame of frames) this.onBrokerFrame(frame, out);
    this.toClient(out);
  }

  private onBrokerFrame(frame: Frame, out: Buffer[]): void {
    if (frame.type === FrameType.heartbeat) {
      out.push(frame.raw);
      return;
    }
    if (frame.type !== FrameType.method) {
      const unit = this.assemble(this.inbound, frame, 'broker');
      if (unit !== undefined) this.onInboundContent(frame.channel, unit, out);
      return;
    }
    if (this.inbound.has(frame.channel)) {
      throw new ChaosError(
        'unexpected-frame',
        `${methodName(methodId(frame.payload))} on channel ${frame.channel} from the broker in the middle of a delivery's content`,
      );
    }
    const id = methodId(frame.payload);
    switch (id) {
      case Method.basicDeliver:
      case Method.basicGetOk:
      case Method.basicReturn:
        this.openUnit(this.inbound, frame);
        return;
      case Method.basicAck:
      case Method.basicNack: {
        const channel = this.channels.get(frame.channel);
        if (channel?.confirm !== undefined) {
          this.onBrokerConfirm(frame, channel.confirm, decodeAcknowledgement(frame.payload), out);
          return;
        }
        break;
      }
      case Method.basicConsumeOk: {
        const channel = this.channel(frame.channel);
        const consumer = channel.pendingConsumes.shift();
        if (consumer !== undefined)
          channel.consumers.set(decodeConsumerTag(frame.payload, 'basic.consume-ok'), consumer);
        break;
      }
      case Method.basicCancel:
      case Method.basicCancelOk:
        this.channels.get(frame.channel)?.consumers.delete(decodeConsumerTag(frame.payload, methodName(id)));
        break;
      case Method.basicGetEmpty:
        this.channels.get(frame.channel)?.pendingGets.shift();
        break;
      case Method.connectionTune: {
        const { frameMax } = decodeConnectionTune(frame.payload);
        if (frameMax > 0) {
          this.fromBroker.maxFrameSize = frameMax;
          this.fromClient.maxFrameSize = frameMax;
        }
        break;
      }
      case Method.channelClose:
      case Method.channelCloseOk:
        this.resetChannel(frame.channel);
        break;
      default:
        break;
    }
    out.push(frame.raw);
  }

  private onBrokerConfirm(frame: Frame, confirm: ConfirmState, ack: Acknowledgement, out: Buffer[]): void {
    const brokerSeqs: number[] = [];
    if (ack.multiple) {
      for (const brokerSeq of confirm.byBroker.keys()) {
        if (brokerSeq > ack.deliveryTag) break;
        brokerSeqs.push(brokerSeq);
      }
    } else if (confirm.byBroker.has(ack.deliveryTag)) brokerSeqs.push(ack.deliveryTag);
    if (brokerSeqs.length === 0) {
      out.push(frame.raw);
      return;
    }
    const now: number[] = [];
    for (const brokerSeq of brokerSeqs) {
      const clientSeq = confirm.byBroker.get(brokerSeq) as number;
      confirm.byBroker.delete(brokerSeq);
      const pending = confirm.pending.get(clientSeq);
      if (pending?.delayConfirmMs !== undefined) {
        const generation = this.channels.get(frame.channel)?.generation;
        this.addTimer(pending.delayConfirmMs, () => {
          if (this.channels.get(frame.channel)?.generation !== generation) return;
          confirm.pending.delete(clientSeq);
          this.context.faultLog.record({
            service: this.service,
            connection: this.id,
            kind: 'delay-confirm',
            detail: `confirm (${ack.kind}) of publish ${clientSeq} of ${describeFacts(pending.facts)} released`,
          });
          this.toClient([
            encodeFrame(
              FrameType.method,
              frame.channel,
              encodeAcknowledgement({ ...ack, deliveryTag: clientSeq, multiple: false }),
            ),
          ]);
        });
        continue;
      }
      confirm.pending.delete(clientSeq);
      now.push(clientSeq);
    }
    if (now.length === 0) return;
    const raw =
      now.length === brokerSeqs.length && Math.max(...now) === ack.deliveryTag ? frame.raw : undefined;
    this.emitSettlements(frame.channel, ack, now, confirm.pending.keys().next().value, raw, out);
  }

  private onInboundContent(number: number, unit: ContentUnit, out: Buffer[]): void {
    const id = methodId(unit.method.payload);
    if (id === Method.basicReturn) {
      out.push(...rawFrames(unit));
      return;
    }
    const channel = this.channel(number);
    if (id === Method.basicGetOk) {
      const get = channel.pendingGets.shift();
      const brokerTag = Number(unit.method.payload.readBigUInt64BE(GET_OK_TAG_OFFSET));
      channel.maxBrokerTag = Math.max(channel.maxBrokerTag, brokerTag);
      const clientTag = channel.nextClientTag++;
      if (clientTag !== brokerTag) unit.method.payload.writeBigUInt64BE(BigInt(clientTag), GET_OK_TAG_OFFSET);
      if (get?.noAck !== true) {
        channel.brokerTags.set(brokerTag, true);
        const facts = this.facts(unit, '', '', false, get?.queue);
        channel.clientTags.set(clientTag, { brokerTag, facts });
      }
      out.push(...rawFrames(unit));
      return;
    }
    const deliver = decodeBasicDeliver(unit.method.payload);
    const consumer = channel.consumers.get(deliver.consumerTag);
    const noAck = consumer?.noAck ?? false;
    channel.maxBrokerTag = Math.max(channel.maxBrokerTag, deliver.deliveryTag);
    if (!noAck) channel.brokerTags.set(deliver.deliveryTag, true);
    const delivery: Delivery = {
      unit,
      deliver,
      channel: number,
      generation: channel.generation,
      noAck,
      consumerKnown: consumer !== undefined,
      facts: this.facts(unit, deliver.exchange, deliver.routingKey, deliver.redelivered, consumer?.queue),
    };
    if (
      !this.context.engine.hasFaultsFor(this.service) &&
      this.pauseQueue.length === 0 &&
      this.context.engine.pausedUntil(this.service, Date.now()) === undefined
    ) {
      this.forward(delivery, undefined, out);
      return;
    }
    this.route(delivery, out);
  }

  /** Decides a delivery's fate: paused, delayed, held for reordering, or forwarded (with copies). */
  private route(delivery: Delivery, out: Buffer[] | undefined): void {
    const until = this.context.engine.pausedUntil(this.service, Date.now());
    if (until !== undefined || this.pauseQueue.length > 0) {
      this.pauseQueue.push(delivery);
      this.held += 1;
      this.context.faultLog.record({
        service: this.service,
        connection: this.id,
        kind: 'pause',
        detail: `delivery of ${describeFacts(delivery.facts)} held until the pause ends`,
      });
      if (this.pauseTimer === undefined) {
        this.pauseTimer = setTimeout(
          () => this.guard('broker', () => this.releasePaused()),
          Math.max(0, (until ?? Date.now()) - Date.now()),
        );
      }
      return;
    }
    const decision = this.context.engine.onDelivery(delivery.facts);
    this.logApplied(decision.applied, `delivery of ${describeFacts(delivery.facts)}`);
    const timing = decision.timing;
    if (timing === undefined) {
      if (out === undefined) this.emit(delivery, decision);
      else this.forward(delivery, decision, out);
      return;
    }
    this.held += 1;
    if (timing.kind === 'delay') {
      this.addTimer(timing.ms, () => {
        this.held -= 1;
        this.emit(delivery, decision);
      });
      return;
    }
    let group = this.groups.get(timing.group);
    if (group === undefined) {
      const name = timing.group;
      group = {
        items: [],
        timer: setTimeout(
          () =>
            this.guard('broker', () => {
              this.context.engine.closeGroup(name);
              this.releaseGroup(name);
            }),
          timing.maxHoldMs,
        ),
      };
      this.groups.set(name, group);
    }
    group.items.push({ delivery, decision });
    if (timing.last) this.releaseGroup(timing.group);
  }

  private releasePaused(): void {
    this.pauseTimer = undefined;
    const until = this.context.engine.pausedUntil(this.service, Date.now());
    if (until !== undefined) {
      this.pauseTimer = setTimeout(
        () => this.guard('broker', () => this.releasePaused()),
        until - Date.now(),
      );
      return;
    }
    const queue = this.pauseQueue;
    this.pauseQueue = [];
    this.held -= queue.length;
    for (const delivery of queue) this.route(delivery, undefined);
  }

  private releaseGroup(name: string): void {
    const group = this.groups.get(name);
    if (group === undefined) return;
    clearTimeout(group.timer);
    this.groups.delete(name);
    this.held -= group.items.length;
    const order = group.items.slice().reverse();
    this.context.faultLog.record({
      service: this.service,
      connection: this.id,
      kind: 'reorder',
      detail: `released ${order.length} held deliveries in reverse order: ${order.map(({ delivery }) => describeFacts(delivery.facts)).join(', ')}`,
    });
    for (const { delivery, decision } of order) this.emit(delivery, decision);
  }

  /** Forwards a delivery now (outside a data handler). */
  private emit(delivery: Delivery, decision: DeliveryDecision | undefined): void {
    const out: Buffer[] = [];
    this.forward(delivery, decision, out);
    this.toClient(out);
  }

  /** Writes a delivery with the next client tag, then its copies, then a cut it triggered. */
  private forward(delivery: Delivery, decision: DeliveryDecision | undefined, out: Buffer[]): void {
    const channel = this.channels.get(delivery.channel);
    if (channel === undefined || channel.generation !== delivery.generation || this.state !== 'open') return;
    if (delivery.consumerKnown && !channel.consumers.has(delivery.deliver.consumerTag)) {
      // Cancelled while the proxy held it: the client would not know the consumer. The broker requeues it with
      // the channel's other unacked deliveries when the channel closes.
      this.context.info(
        `${this.who()}: dropped a held delivery for cancelled consumer ${delivery.deliver.consumerTag}`,
      );
      return;
    }
    this.writeDelivery(channel, delivery, undefined, out);
    const duplicate = decision?.duplicate;
    if (duplicate !== undefined) {
      const copies = (): Buffer[] => {
        const copyOut: Buffer[] = [];
        const current = this.channels.get(delivery.channel);
        if (current === undefined || current.generation !== delivery.generation) return copyOut;
        for (let i = 0; i < duplicate.copies; i++)
          this.writeDelivery(current, delivery, duplicate.redelivered, copyOut);
        return copyOut;
      };
      if (duplicate.lagMs > 0) this.addTimer(duplicate.lagMs, () => this.toClient(copies()));
      else out.push(...copies());
    }
    if (decision?.cut !== undefined) {
      this.toClient(out.splice(0));
      this.performCut(decision.cut, true);
    }
  }

  /** One delivery frame set with a fresh client tag; `copyRedelivered` set for a proxy copy. */
  private writeDelivery(
    channel: ChannelState,
    delivery: Delivery,
    copyRedelivered: boolean | undefined,
    out: Buffer[],
  ): void {
    const { unit, deliver } = delivery;
    const clientTag = channel.nextClientTag++;
    const copy = copyRedelivered !== undefined;
    let method = unit.method.raw;
    if (copy) {
      method = Buffer.from(method);
      const bits = method.readUInt8(7 + deliver.bitsOffset);
      method.writeUInt8(copyRedelivered ? bits | 1 : bits & ~1, 7 + deliver.bitsOffset);
    }
    if (copy || clientTag !== deliver.deliveryTag)
      method.writeBigUInt64BE(BigInt(clientTag), 7 + deliver.tagOffset);
    if (!delivery.noAck) {
      channel.clientTags.set(clientTag, {
        brokerTag: copy ? undefined : deliver.deliveryTag,
        facts: delivery.facts,
      });
    }
    out.push(
      method,
      ...(unit.header === undefined ? [] : [unit.header.raw]),
      ...unit.bodies.map((b) => b.raw),
    );
  }
}

/** Merges adjacent views of one chunk back into one buffer: passthrough frames leave in as few writes as came in. */
function coalesce(buffers: readonly Buffer[]): readonly Buffer[] {
  if (buffers.length < 2) return buffers;
  const merged: Buffer[] = [];
  let current = buffers[0] as Buffer;
  for (let i = 1; i < buffers.length; i++) {
    const next = buffers[i] as Buffer;
    if (next.buffer === current.buffer && current.byteOffset + current.length === next.byteOffset) {
      current = Buffer.from(current.buffer, current.byteOffset, current.length + next.length);
    } else {
      merged.push(current);
      current = next;
    }
  }
  merged.push(current);
  return merged;
}

function rawFrames(unit: ContentUnit): Buffer[] {
  return [
    unit.method.raw,
    ...(unit.header === undefined ? [] : [unit.header.raw]),
    ...unit.bodies.map((b) => b.raw),
  ];
}

/** `PaymentCompleted (key payment.completed)` or `key payment.completed`. */
function describeFacts(facts: MessageFacts): string {
  const type = facts.eventType();
  const key =
    facts.routingKey === ''
      ? facts.queue === undefined
        ? ''
        : `from ${facts.queue}`
      : `key ${facts.routingKey}`;
  return type === undefined ? key || 'message' : `${type} (${key})`;
}
