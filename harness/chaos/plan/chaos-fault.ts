import { z } from 'zod';
import { ChaosError } from '../chaos-error';

/**
 * Which messages a fault applies to. Every field is optional; a message matches when it matches every field given.
 * `routingKey` is an AMQP topic pattern (`*` one word, `#` any words); `eventType` is read through the proxy's
 * envelope adapter; `queue` is the queue a delivery comes from (deliveries and acks only).
 */
export interface MessageMatch {
  readonly eventType?: string;
  readonly routingKey?: string;
  readonly exchange?: string;
  readonly queue?: string;
}

/**
 * Who and which messages. `nth` is the 0-based ordinal among the messages matching `match` for `service`
 * (first deliveries only: redeliveries and the proxy's own copies are never counted or faulted, so a fault never
 * feeds on itself) — "the 2nd PaymentCompleted delivered to inventory" is
 * `{ service: 'inventory', match: { eventType: 'PaymentCompleted' }, nth: 1 }`. Without `nth` every match is
 * faulted, with `probability` (seeded) and at most `times` times.
 */
export interface FaultSelection {
  readonly service: string;
  readonly match?: MessageMatch;
  readonly nth?: number;
  readonly probability?: number;
  readonly times?: number;
}

/** How a connection is cut: a TCP reset, or connection.close 320 (CONNECTION_FORCED) as a broker would send it. */
export type CutHow = 'reset' | 'close';

/** When a `cut` happens: at once (no trigger), or at the nth matching delivery / ack / publish of the service. */
export interface CutTrigger {
  /** `deliver`: right after the delivery reached the consumer; `ack`: instead of forwarding the ack;
   * `publish`: after the publish reached the broker, before its confirm reached the publisher. */
  readonly on: 'deliver' | 'ack' | 'publish';
  readonly match?: MessageMatch;
  readonly nth?: number;
}

/** Every fault may wait `afterMs` (from the proxy's start for a plan, from `apply()` otherwise) before it is armed. */
interface Timed {
  readonly afterMs?: number;
}

/**
 * One fault of a chaos plan: plain data, printable, replayable.
 * - deliveries: `delay` (by `ms`), `reorder` (hold `count` matching deliveries, the originals, and release them in
 *   reverse order — after `maxHoldMs` at the latest), `duplicate` (`copies` extra deliveries with tags of their own
 *   whose acks never reach the broker; `redelivered` sets the flag on the copies; `lagMs` delays them), `pause`
 *   (every delivery to the service waits `ms`);
 * - acks: `lose-ack` (the consumer acks, the broker never hears of it and redelivers once the connection drops;
 *   `thenCut` drops it right away);
 * - publishes (confirm mode): `delay-confirm` (by `ms`), `nack-confirm` (the publish never reaches the broker,
 *   the publisher gets basic.nack), `drop-publish` (the publish never reaches the broker and is never confirmed;
 *   `thenCut` makes the publisher notice);
 * - connections: `cut` (now or at a trigger; `refuseMs` refuses reconnection for a while), `refuse` (new
 *   connections of the service are reset for `ms`).
 */
export type ChaosFault =
  | (FaultSelection & Timed & { readonly kind: 'delay'; readonly ms: number })
  | (FaultSelection &
      Timed & { readonly kind: 'reorder'; readonly count: number; readonly maxHoldMs?: number })
  | (FaultSelection &
      Timed & {
        readonly kind: 'duplicate';
        readonly copies?: number;
        readonly redelivered?: boolean;
        readonly lagMs?: number;
      })
  | (Timed & { readonly kind: 'pause'; readonly service: string; readonly ms: number })
  | (FaultSelection & Timed & { readonly kind: 'lose-ack'; readonly thenCut?: CutHow })
  | (FaultSelection & Timed & { readonly kind: 'delay-confirm'; readonly ms: number })
  | (FaultSelection & Timed & { readonly kind: 'nack-confirm' })
  | (FaultSelection & Timed & { readonly kind: 'drop-publish'; readonly thenCut?: CutHow })
  | (Timed & {
      readonly kind: 'cut';
      readonly service: string;
      readonly how: CutHow;
      readonly on?: CutTrigger;
      readonly refuseMs?: number;
    })
  | (Timed & { readonly kind: 'refuse'; readonly service: string; readonly ms: number });

/** The kinds of fault, for validation and docs. */
export type ChaosFaultKind = ChaosFault['kind'];

/** A chaos plan: the faults and the seed of every random choice (`probability`). Same seed, same choices. */
export interface ChaosPlan {
  readonly seed?: number;
  readonly faults: readonly ChaosFault[];
}

const match = z
  .object({
    eventType: z.string().min(1).optional(),
    routingKey: z.string().optional(),
    exchange: z.string().optional(),
    queue: z.string().min(1).optional(),
  })
  .strict();
const ms = z.number().int().nonnegative();
const selection = {
  service: z.string().min(1),
  match: match.optional(),
  nth: z.number().int().nonnegative().optional(),
  probability: z.number().min(0).max(1).optional(),
  times: z.number().int().positive().optional(),
  afterMs: ms.optional(),
};
const how = z.enum(['reset', 'close']);

const faultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('delay'), ...selection, ms }).strict(),
  z
    .object({
      kind: z.literal('reorder'),
      ...selection,
      count: z.number().int().min(2),
      maxHoldMs: ms.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('duplicate'),
      ...selection,
      copies: z.number().int().min(1).max(100).optional(),
      redelivered: z.boolean().optional(),
      lagMs: ms.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('pause'), service: z.string().min(1), ms, afterMs: ms.optional() }).strict(),
  z.object({ kind: z.literal('lose-ack'), ...selection, thenCut: how.optional() }).strict(),
  z.object({ kind: z.literal('delay-confirm'), ...selection, ms }).strict(),
  z.object({ kind: z.literal('nack-confirm'), ...selection }).strict(),
  z.object({ kind: z.literal('drop-publish'), ...selection, thenCut: how.optional() }).strict(),
  z
    .object({
      kind: z.literal('cut'),
      service: z.string().min(1),
      how,
      on: z
        .object({
          on: z.enum(['deliver', 'ack', 'publish']),
          match: match.optional(),
          nth: z.number().int().nonnegative().optional(),
        })
        .strict()
        .optional(),
      refuseMs: ms.optional(),
      afterMs: ms.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('refuse'), service: z.string().min(1), ms, afterMs: ms.optional() }).strict(),
]);

const planSchema = z.object({ seed: z.number().int().optional(), faults: z.array(faultSchema) }).strict();

const PUBLISH_KINDS: readonly string[] = ['delay-confirm', 'nack-confirm', 'drop-publish'];

function issuesOf(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

function checkSemantics(fault: ChaosFault, where: string): void {
  if (PUBLISH_KINDS.includes(fault.kind) && 'match' in fault && fault.match?.queue !== undefined) {
    throw new ChaosError(
      'invalid-fault',
      `${where}: a ${fault.kind} fault selects publishes, which have no queue`,
    );
  }
  if (fault.kind === 'cut' && fault.on?.on === 'publish' && fault.on.match?.queue !== undefined) {
    throw new ChaosError(
      'invalid-fault',
      `${where}: a cut on publish selects publishes, which have no queue`,
    );
  }
}

/** Validates one fault (from a file, the control API or code); throws `invalid-fault` naming the field. */
export function parseChaosFault(input: unknown, where = 'fault'): ChaosFault {
  const result = faultSchema.safeParse(input);
  if (!result.success) throw new ChaosError('invalid-fault', `${where}: ${issuesOf(result.error)}`);
  const fault = result.data as ChaosFault;
  checkSemantics(fault, where);
  return fault;
}

/** Validates a plan; throws `invalid-plan` naming the fault and field. */
export function parseChaosPlan(input: unknown, where = 'plan'): ChaosPlan {
  const result = planSchema.safeParse(input);
  if (!result.success) throw new ChaosError('invalid-plan', `${where}: ${issuesOf(result.error)}`);
  const plan = result.data as ChaosPlan;
  plan.faults.forEach((fault, index) => checkSemantics(fault, `${where}: faults.${index}`));
  return plan;
}

function describeMatch(m: MessageMatch | undefined): string {
  if (m === undefined) return '';
  const parts = [
    m.eventType,
    m.routingKey === undefined ? undefined : `key ${m.routingKey}`,
    m.exchange === undefined ? undefined : `exchange ${m.exchange}`,
    m.queue === undefined ? undefined : `from ${m.queue}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/** `delivery #1 (PaymentCompleted) to inventory`, `every publish of orders (p=0.1)`. */
function describeSelection(s: FaultSelection, noun: 'delivery' | 'publish'): string {
  const which = s.nth === undefined ? `every ${noun}` : `${noun} #${s.nth}`;
  const odds = s.probability === undefined ? '' : ` (p=${s.probability})`;
  const times = s.times === undefined ? '' : ` (at most ${s.times}×)`;
  return `${which}${describeMatch(s.match)} ${noun === 'delivery' ? 'to' : 'of'} ${s.service}${odds}${times}`;
}

/** A one-line description of a fault, for plans printed before a run and for the fault log. */
export function describeChaosFault(fault: ChaosFault): string {
  const after = fault.afterMs === undefined ? '' : ` after ${fault.afterMs} ms`;
  switch (fault.kind) {
    case 'delay':
      return `delay ${describeSelection(fault, 'delivery')} by ${fault.ms} ms${after}`;
    case 'reorder':
      return `reorder ${fault.count} deliveries from ${describeSelection(fault, 'delivery')} (released in reverse)${after}`;
    case 'duplicate':
      return `duplicate ${describeSelection(fault, 'delivery')} ×${fault.copies ?? 1}${fault.redelivered === true ? ' (redelivered flag set)' : ''}${fault.lagMs === undefined ? '' : ` ${fault.lagMs} ms later`}${after}`;
    case 'pause':
      return `pause every delivery to ${fault.service} for ${fault.ms} ms${after}`;
    case 'lose-ack':
      return `lose the ack of ${describeSelection(fault, 'delivery')}${fault.thenCut === undefined ? '' : `, then cut (${fault.thenCut})`}${after}`;
    case 'delay-confirm':
      return `delay the confirm of ${describeSelection(fault, 'publish')} by ${fault.ms} ms${after}`;
    case 'nack-confirm':
      return `nack ${describeSelection(fault, 'publish')}${after}`;
    case 'drop-publish':
      return `drop ${describeSelection(fault, 'publish')} before its confirm${fault.thenCut === undefined ? '' : `, then cut (${fault.thenCut})`}${after}`;
    case 'cut': {
      const at =
        fault.on === undefined
          ? ''
          : ` at ${fault.on.on} ${fault.on.nth === undefined ? '(any)' : `#${fault.on.nth}`}${describeMatch(fault.on.match)}`;
      const refuse = fault.refuseMs === undefined ? '' : `, refuse reconnection for ${fault.refuseMs} ms`;
      return `cut ${fault.service} (${fault.how === 'reset' ? 'TCP reset' : 'connection.close 320'})${at}${refuse}${after}`;
    }
    case 'refuse':
      return `refuse connections of ${fault.service} for ${fault.ms} ms${after}`;
  }
}

/** A plan as a one-line JSON replay token (`troupe proxy --replay '<token>'`). */
export function formatChaosPlan(plan: ChaosPlan): string {
  return JSON.stringify(plan);
}
