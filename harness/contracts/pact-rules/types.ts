/** A JSON value, as it travels in a message body. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * One Pact V4 matcher, in the pact-file format (`{ "match": "regex", "regex": "..." }`). Only the matchers the
 * converter emits are listed, so a typo in a matcher name does not compile.
 */
export type PactMatcher =
  | { readonly match: 'type'; readonly min?: number; readonly max?: number }
  | { readonly match: 'integer' | 'number' | 'decimal' | 'boolean' | 'null' | 'equality' | 'notEmpty' }
  | { readonly match: 'values' }
  | { readonly match: 'regex'; readonly regex: string };

/** The matchers at one JSON path and how they combine (pact-file format). */
export interface PactRuleList {
  readonly combine: 'AND' | 'OR';
  readonly matchers: readonly PactMatcher[];
}

/** Body matching rules keyed by JSONPath (`$.payload.items[*].sku`), sorted by path. */
export type PactBodyRules = Readonly<Record<string, PactRuleList>>;

/** A place where the contract is looser than the zod schema, and why (pact cannot express it). */
export interface ContractLooseness {
  readonly path: string;
  readonly reason: string;
  /** True when a field the schema requires is missing from the pact's example (it is not a complete message). */
  readonly incomplete?: boolean;
}

/** The result of converting a schema + example: what the pact carries for one message body. */
export interface PactBodyContract {
  /** The example body written into the pact (optional fields left out: a consumer cannot rely on them). */
  readonly content: JsonValue;
  /** Matching rules for `content`, Pact V4 pact-file format. */
  readonly rules: PactBodyRules;
  /** Every place the pact is looser than the schema. Never tighter: valid messages always verify. */
  readonly looseness: readonly ContractLooseness[];
}
