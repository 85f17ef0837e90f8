import type { MessageFacts } from '../plan/fault-engine';

/** A delivery the consumer holds: its broker tag (undefined for a proxy copy, whose ack must not reach the broker). */
export interface OutstandingDelivery {
  readonly brokerTag: number | undefined;
  readonly facts: MessageFacts;
}

/** A publish awaiting its confirm: where it went, and whether its confirm is held back. */
export interface PendingConfirm {
  /** undefined: dropped by a fault, never confirmed. */
  readonly brokerSeq: number | undefined;
  readonly delayConfirmMs?: number;
  readonly facts: MessageFacts;
}

/** Confirm-mode sequence numbers: the publisher's (client) and the broker's differ once a publish is dropped. */
export class ConfirmState {
  nextClientSeq = 1;
  nextBrokerSeq = 1;
  /** Client sequence number → its publish, in ascending order. */
  readonly pending = new Map<number, PendingConfirm>();
  /** Broker sequence number → client sequence number, in ascending order. */
  readonly byBroker = new Map<number, number>();
}

/** A consumer on a channel, learned from basic.consume + basic.consume-ok. */
export interface ConsumerInfo {
  readonly queue: string;
  readonly noAck: boolean;
}

/**
 * The proxy's view of one channel: delivery tags on both sides (renumbered so acks stay valid once the proxy holds,
 * reorders or copies deliveries), consumers, prefetch, confirm mode. A new generation starts when the channel is
 * closed or reopened; anything held for an older generation is dropped (the broker requeues it).
 */
export class ChannelState {
  /** Next tag the consumer sees. Equal to the broker's tags as long as no fault shifted them. */
  nextClientTag = 1;
  /** Client tag → delivery, in ascending client-tag order. */
  readonly clientTags = new Map<number, OutstandingDelivery>();
  /** Broker tags not yet acked towards the broker (held, in flight, or with a lost ack), ascending. */
  readonly brokerTags = new Map<number, true>();
  /** Broker tags whose ack a fault withheld. */
  readonly lostAcks = new Set<number>();
  maxBrokerTag = 0;
  readonly consumers = new Map<string, ConsumerInfo>();
  readonly pendingConsumes: ConsumerInfo[] = [];
  readonly pendingGets: ConsumerInfo[] = [];
  prefetch = 0;
  confirm: ConfirmState | undefined;

  constructor(readonly generation: number) {}
}
