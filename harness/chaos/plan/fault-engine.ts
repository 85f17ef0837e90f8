import { seededRandom, type SeededRandom } from '../../fuzz/_internals/seeded-random';
import { matchesRoutingKey } from '../../transport/transport';
import type { ChaosFault, CutHow, CutTrigger, FaultSelection, MessageMatch } from './chaos-fault';

/** What the proxy knows about a message when it decides on a fault. `eventType` is read lazily (adapter). */
export interface MessageFacts {
  readonly service: string;
  readonly exchange: string;
  readonly routingKey: string;
  /** Deliveries: the queue of the consumer. */
  readonly queue?: string;
  readonly redelivered: boolean;
  eventType(): string | undefined;
}

/** A fault applied to one message, for the fault log. */
export interface AppliedFault {
  readonly fault: ChaosFault;
  readonly detail: string;
}

/** A cut the proxy must perform after handling the message. */
export interface CutDecision {
  readonly how: CutHow;
  readonly refuseMs?: number;
  readonly fault: ChaosFault;
}

/** What happens to one delivery. */
export interface DeliveryDecision {
  readonly timing?:
    | { readonly kind: 'delay'; readonly ms: number }
    | {
        readonly kind: 'reorder';
        readonly group: string;
        readonly first: boolean;
        readonly last: boolean;
        readonly maxHoldMs: number;
      };
  readonly duplicate?: { readonly copies: number; readonly redelivered: boolean; readonly lagMs: number };
  readonly cut?: CutDecision;
  readonly applied: readonly AppliedFault[];
}

/** What happens to one ack. */
export interface AckDecision {
  readonly lose: boolean;
  readonly cut?: CutDecision;
  readonly applied: readonly AppliedFault[];
}

/** What happens to one publish. */
export interface PublishDecision {
  readonly action: 'forward' | 'drop' | 'nack';
  readonly delayConfirmMs?: number;
  readonly cut?: CutDecision;
  readonly applied: readonly AppliedFault[];
}

interface Armed {
  readonly id: number;
  readonly fault: ChaosFault;
  /** Messages matched so far (the ordinal of the next one). */
  matched: number;
  applied: number;
  /** reorder: the open group and how many more deliveries join it. */
  group?: { id: string; remaining: number };
}

const REORDER_MAX_HOLD_MS = 2_000;

/**
 * Decides, message by message, which armed faults apply: selection by service, match and ordinal, seeded
 * probabilities. Pure bookkeeping — no sockets, no timers — so it is unit-tested alone and shared by every
 * connection of the proxy (ordinals count across a service's reconnections).
 */
export class FaultEngine {
  private armed: Armed[] = [];
  private nextId = 1;
  private readonly random: SeededRandom;
  private readonly pauses = new Map<string, number>();

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  /** Arms a message fault (not `pause`, `refuse` or an untriggered `cut`: the proxy performs those at once). */
  arm(fault: ChaosFault): void {
    this.armed.push({ id: this.nextId++, fault, matched: 0, applied: 0 });
  }

  /** Deliveries to `service` wait until the returned time (ms since epoch) while a pause lasts. */
  pause(service: string, untilMs: number): void {
    this.pauses.set(service, Math.max(untilMs, this.pauses.get(service) ?? 0));
  }

  pausedUntil(service: string, nowMs: number): number | undefined {
    const until = this.pauses.get(service);
    if (until === undefined) return undefined;
    if (until <= nowMs) {
      this.pauses.delete(service);
      return undefined;
    }
    return until;
  }

  /** Faults still waiting for their message. */
  pending(): readonly ChaosFault[] {
    return this.armed.map((a) => a.fault);
  }

  /** Whether any delivery-side fault is armed for the service (the hot path skips the decision otherwise). */
  hasFaultsFor(service: string): boolean {
    return this.armed.some((a) => a.fault.service === service);
  }

  /** A reorder group released by its timer takes no more deliveries. */
  closeGroup(group: string): void {
    for (const armed of this.armed) {
      if (armed.group?.id === group) {
        delete armed.group;
        this.retireIfSpent(armed);
      }
    }
  }

  onDelivery(facts: MessageFacts): DeliveryDecision {
    const applied: AppliedFault[] = [];
    let timing: DeliveryDecision['timing'];
    let duplicate: DeliveryDecision['duplicate'];
    let cut: CutDecision | undefined;
    if (facts.redelivered) return { applied };
    for (const armed of this.armed.slice()) {
      const { fault } = armed;
      if (fault.kind === 'reorder' && armed.group !== undefined && timing === undefined) {
        if (fault.service === facts.service && matches(fault.match, facts)) {
          armed.group.remaining -= 1;
          const last = armed.group.remaining <= 0;
          timing = {
            kind: 'reorder',
            group: armed.group.id,
            first: false,
            last,
            maxHoldMs: fault.maxHoldMs ?? REORDER_MAX_HOLD_MS,
          };
          applied.push({ fault, detail: `held back (reorder group ${armed.group.id})` });
          if (last) {
            delete armed.group;
            this.retireIfSpent(armed);
          }
        }
        continue;
      }
      if (fault.kind === 'cut') {
        if (fault.on?.on === 'deliver' && cut === undefined && this.triggers(armed, fault.on, facts)) {
          cut = cutOf(fault);
          applied.push({ fault, detail: 'cut after this delivery' });
        }
        continue;
      }
      if (fault.kind !== 'delay' && fault.kind !== 'reorder' && fault.kind !== 'duplicate') continue;
      // Every matching fault counts the message (ordinals stay true); one timing fault per delivery wins.
      if (!this.selects(armed, fault, facts)) continue;
      if (fault.kind !== 'duplicate' && timing !== undefined) {
        armed.applied -= 1;
        continue;
      }
      if (fault.kind === 'delay') {
        timing = { kind: 'delay', ms: fault.ms };
        applied.push({ fault, detail: `held ${fault.ms} ms` });
      } else if (fault.kind === 'reorder') {
        const group = `${armed.id}.${armed.applied}`;
        armed.group = { id: group, remaining: fault.count - 1 };
        timing = {
          kind: 'reorder',
          group,
          first: true,
          last: false,
          maxHoldMs: fault.maxHoldMs ?? REORDER_MAX_HOLD_MS,
        };
        applied.push({ fault, detail: `held back (reorder group ${group}, ${fault.count} deliveries)` });
      } else {
        const copies = fault.copies ?? 1;
        const redelivered = fault.redelivered ?? false;
        const lagMs = fault.lagMs ?? 0;
        // Two duplicate faults on one delivery add up.
        duplicate = {
          copies: copies + (duplicate?.copies ?? 0),
          redelivered: redelivered || (duplicate?.redelivered ?? false),
          lagMs: Math.max(lagMs, duplicate?.lagMs ?? 0),
        };
        applied.push({
          fault,
          detail: `${copies} cop${copies === 1 ? 'y' : 'ies'}${redelivered ? ' flagged redelivered' : ''}${lagMs > 0 ? ` ${lagMs} ms later` : ''}`,
        });
      }
      this.retireIfSpent(armed);
    }
    return {
      applied,
      ...(timing === undefined ? {} : { timing }),
      ...(duplicate === undefined ? {} : { duplicate }),
      ...(cut === undefined ? {} : { cut }),
    };
  }

  onAck(facts: MessageFacts): AckDecision {
    const applied: AppliedFault[] = [];
    let lose = false;
    let cut: CutDecision | undefined;
    if (facts.redelivered) return { lose, applied };
    for (const armed of this.armed.slice()) {
      const { fault } = armed;
      if (fault.kind === 'cut') {
        if (fault.on?.on === 'ack' && cut === undefined && this.triggers(armed, fault.on, facts)) {
          cut = cutOf(fault);
          lose = true; // the cut happens instead of the ack
          applied.push({ fault, detail: 'ack withheld, connection cut' });
        }
        continue;
      }
      if (fault.kind !== 'lose-ack' || !this.selects(armed, fault, facts)) continue;
      lose = true;
      applied.push({ fault, detail: 'ack withheld from the broker' });
      if (fault.thenCut !== undefined && cut === undefined) cut = { how: fault.thenCut, fault };
      this.retireIfSpent(armed);
    }
    return { lose, applied, ...(cut === undefined ? {} : { cut }) };
  }

  onPublish(facts: MessageFacts, confirmMode: boolean): PublishDecision {
    const applied: AppliedFault[] = [];
    let action: PublishDecision['action'] = 'forward';
    let delayConfirmMs: number | undefined;
    let cut: CutDecision | undefined;
    for (const armed of this.armed.slice()) {
      const { fault } = armed;
      if (fault.kind === 'cut') {
        if (fault.on?.on === 'publish' && cut === undefined && this.triggers(armed, fault.on, facts)) {
          cut = cutOf(fault);
          applied.push({ fault, detail: 'cut after the publish reached the broker, before its confirm' });
        }
        continue;
      }
      if (fault.kind !== 'delay-confirm' && fault.kind !== 'nack-confirm' && fault.kind !== 'drop-publish')
        continue;
      // Confirm faults mean nothing to a publisher that asked for no confirms.
      if (fault.kind !== 'drop-publish' && !confirmMode) continue;
      if (!this.selects(armed, fault, facts)) continue;
      if (action !== 'forward' || (fault.kind === 'delay-confirm' && delayConfirmMs !== undefined)) {
        armed.applied -= 1; // another fault already decided this publish
        continue;
      }
      if (fault.kind === 'delay-confirm') {
        delayConfirmMs = fault.ms;
        applied.push({ fault, detail: `confirm held ${fault.ms} ms` });
      } else if (fault.kind === 'nack-confirm') {
        action = 'nack';
        applied.push({ fault, detail: 'not forwarded; basic.nack sent to the publisher' });
      } else {
        action = 'drop';
        applied.push({ fault, detail: 'not forwarded, never confirmed' });
        if (fault.thenCut !== undefined && cut === undefined) cut = { how: fault.thenCut, fault };
      }
      this.retireIfSpent(armed);
    }
    return {
      action,
      applied,
      ...(delayConfirmMs === undefined || action !== 'forward' ? {} : { delayConfirmMs }),
      ...(cut === undefined ? {} : { cut }),
    };
  }

  private selects(armed: Armed, fault: FaultSelection, facts: MessageFacts): boolean {
    if (fault.service !== facts.service || !matches(fault.match, facts)) return false;
    const ordinal = armed.matched++;
    if (fault.nth !== undefined) {
      if (ordinal !== fault.nth) return false;
    } else {
      if (fault.times !== undefined && armed.applied >= fault.times) return false;
      if (fault.probability !== undefined && !this.random.chance(fault.probability)) return false;
    }
    armed.applied += 1;
    return true;
  }

  private triggers(armed: Armed, trigger: CutTrigger, facts: MessageFacts): boolean {
    if (armed.fault.service !== facts.service || !matches(trigger.match, facts)) return false;
    const ordinal = armed.matched++;
    if (trigger.nth !== undefined && ordinal !== trigger.nth) return false;
    this.retire(armed);
    return true;
  }

  private retireIfSpent(armed: Armed): void {
    if (armed.group !== undefined) return;
    const { fault } = armed;
    const nth = 'nth' in fault ? fault.nth : undefined;
    const times = 'times' in fault ? fault.times : undefined;
    if ((nth !== undefined && armed.applied > 0) || (times !== undefined && armed.applied >= times)) {
      this.retire(armed);
    }
  }

  private retire(armed: Armed): void {
    this.armed = this.armed.filter((a) => a !== armed);
  }
}

function cutOf(fault: ChaosFault & { kind: 'cut' }): CutDecision {
  return { how: fault.how, fault, ...(fault.refuseMs === undefined ? {} : { refuseMs: fault.refuseMs }) };
}

function matches(match: MessageMatch | undefined, facts: MessageFacts): boolean {
  if (match === undefined) return true;
  if (match.exchange !== undefined && match.exchange !== facts.exchange) return false;
  if (match.queue !== undefined && match.queue !== facts.queue) return false;
  if (match.routingKey !== undefined && !matchesRoutingKey(match.routingKey, facts.routingKey)) return false;
  if (match.eventType !== undefined && facts.eventType() !== match.eventType) return false;
  return true;
}
