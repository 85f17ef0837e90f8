import { z } from 'zod';
import type { Money } from '../events/common';
import { collection } from '../kit/collection';
import { parseConfig } from '../kit/parse-config';
import type { Store } from '../kit/store';

/** When the simulated gateway declines a charge. Every given field must match; none given matches all. */
export interface DeclineRule {
  readonly customerId?: string;
  readonly minAmountMinor?: number;
  readonly maxAmountMinor?: number;
  readonly reason: 'declined' | 'insufficient_funds';
}

/** When the simulated gateway refuses a refund. */
export interface RefundFailureRule {
  readonly customerId?: string;
  readonly minAmountMinor?: number;
  readonly maxAmountMinor?: number;
  readonly reason: string;
}

/** The gateway's behaviour as data, so tests and scenarios drive every payment path. */
export interface GatewayRules {
  readonly declines?: readonly DeclineRule[];
  readonly refundFailures?: readonly RefundFailureRule[];
}

const amountBounds = {
  customerId: z.string().min(1).optional(),
  minAmountMinor: z.number().int().nonnegative().optional(),
  maxAmountMinor: z.number().int().nonnegative().optional(),
};

/** Gateway rules as JSON (CLI `--gateway-rules`, scenario files): validated, with a path on error. */
export const gatewayRulesSchema = z.strictObject({
  declines: z
    .array(z.strictObject({ ...amountBounds, reason: z.enum(['declined', 'insufficient_funds']) }))
    .optional(),
  refundFailures: z.array(z.strictObject({ ...amountBounds, reason: z.string().min(1) })).optional(),
});

/** Parses gateway rules from JSON data; throws `invalid-config` naming the bad field. */
export function parseGatewayRules(data: unknown, source = 'gateway rules'): GatewayRules {
  return parseConfig<GatewayRules>(gatewayRulesSchema, data, source);
}

/** A charge attempt as the gateway recorded it, under its idempotency key. */
export interface ChargeRecord {
  readonly idempotencyKey: string;
  readonly chargeId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: Money;
  readonly status: 'approved' | 'declined';
  readonly reason: DeclineRule['reason'] | null;
}

/** A refund attempt as the gateway recorded it. */
export interface RefundRecord {
  readonly idempotencyKey: string;
  readonly refundId: string;
  readonly chargeId: string;
  readonly amount: Money;
  readonly status: 'refunded' | 'failed';
  readonly reason: string | null;
}

/** The gateway's charge ledger, by idempotency key. */
export const gatewayCharges = collection<ChargeRecord>('gateway.charges');
/** The gateway's refund ledger, by idempotency key. */
export const gatewayRefunds = collection<RefundRecord>('gateway.refunds');

/**
 * The payment-gateway simulator: an external system, so its ledger commits on its own (not with the payments
 * transaction) and every call takes an idempotency key: a retried charge returns the first result and never charges
 * twice. Declines and refund failures follow `rules`.
 */
export class PaymentGateway {
  private rules: GatewayRules;

  constructor(
    private readonly store: Store,
    rules: GatewayRules = {},
  ) {
    this.rules = rules;
  }

  /** Replaces the rules (scenarios switch paths between orders). */
  configure(rules: GatewayRules): void {
    this.rules = rules;
  }

  async charge(request: {
    readonly idempotencyKey: string;
    /** Used only when this is the first call with this key. */
    readonly chargeId: string;
    readonly orderId: string;
    readonly customerId: string;
    readonly amount: Money;
  }): Promise<ChargeRecord> {
    const decline = (this.rules.declines ?? []).find((rule) =>
      matches(rule, request.customerId, request.amount),
    );
    const record: ChargeRecord = {
      idempotencyKey: request.idempotencyKey,
      chargeId: request.chargeId,
      orderId: request.orderId,
      customerId: request.customerId,
      amount: request.amount,
      status: decline ? 'declined' : 'approved',
      reason: decline?.reason ?? null,
    };
    return (await this.store.putIfAbsent(gatewayCharges, request.idempotencyKey, record)).value;
  }

  async refund(request: {
    readonly idempotencyKey: string;
    readonly refundId: string;
    readonly chargeId: string;
    readonly customerId: string;
    readonly amount: Money;
  }): Promise<RefundRecord> {
    const failure = (this.rules.refundFailures ?? []).find((rule) =>
      matches(rule, request.customerId, request.amount),
    );
    const record: RefundRecord = {
      idempotencyKey: request.idempotencyKey,
      refundId: request.refundId,
      chargeId: request.chargeId,
      amount: request.amount,
      status: failure ? 'failed' : 'refunded',
      reason: failure?.reason ?? null,
    };
    return (await this.store.putIfAbsent(gatewayRefunds, request.idempotencyKey, record)).value;
  }

  /** Every approved charge (for the no-double-charge invariant). */
  async approvedCharges(orderId?: string): Promise<ChargeRecord[]> {
    const all = await this.store.list(gatewayCharges);
    return all
      .map((entry) => entry.value)
      .filter(
        (charge) => charge.status === 'approved' && (orderId === undefined || charge.orderId === orderId),
      );
  }
}

function matches(
  rule: { readonly customerId?: string; readonly minAmountMinor?: number; readonly maxAmountMinor?: number },
  customerId: string,
  amount: Money,
): boolean {
  if (rule.customerId !== undefined && rule.customerId !== customerId) return false;
  if (rule.minAmountMinor !== undefined && amount.amountMinor < rule.minAmountMinor) return false;
  if (rule.maxAmountMinor !== undefined && amount.amountMinor > rule.maxAmountMinor) return false;
  return true;
}
