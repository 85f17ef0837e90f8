import fc from 'fast-check';
import { z } from 'zod';
import {
  branchesOf,
  childPath,
  escapeRegex,
  resolveRef,
  typeOf,
  type JsonSchemaNode,
} from '../_internals/json-schema';
import { arbitraryFromJsonSchema } from '../instances/json-schema-arbitrary';
import { ContractError } from '../contract-error';
import type { ContractLooseness, JsonValue, PactBodyContract, PactMatcher, PactRuleList } from './types';

/**
 * Regexes for string formats, used only when the JSON Schema carries a format without a `pattern`
 * (zod always emits a pattern; other schema sources may not). Each accepts everything zod accepts.
 */
const formatFallbacks: Readonly<Record<string, string>> = {
  uuid: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  email: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$',
  'date-time': '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?$',
  date: '^\\d{4}-\\d{2}-\\d{2}$',
  time: '^\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?$',
};

const omitted = Symbol('omitted');
type Converted = JsonValue | typeof omitted;

/**
 * Converts a zod schema and an example value into a Pact V4 message body: example content plus matching rules
 * that accept every value the schema accepts (sound) and reject every change of a field the consumer reads
 * that pact can express (tight). The mapping, and why:
 *
 * - objects: each required field is kept and matched; **optional fields are left out** of the pact, because
 *   pact cannot say "absent, or present with type T" and a consumer must not rely on an optional field;
 * - arrays: `type` with `min`/`max` from the schema (eachLike); elements matched through `[*]`;
 * - `int` → `integer`; other numbers → `number` (not `decimal`: `2.0` travels as `2`, which `decimal` refuses);
 *   bounds (`min`/`max`) are not expressible and are reported as looseness;
 * - string formats (uuid, ISO date-time, date, email) and `regex()` → `regex` with zod's own pattern;
 *   length bounds → a `regex` on code points (sound under UTF-16/code-point differences);
 * - booleans → `type` (pact's `boolean` matcher also accepts the strings "true"/"false");
 * - enums → `regex` of the escaped alternatives (plus `type`/`number`), literals → `equality`;
 * - nullable → `combine: OR` of the non-null rule and `null` (nullability is kept, never widened to "any");
 *   nullable objects/arrays cannot be expressed (the verifier ANDs a container's rules) and are left out;
 * - records → `values`, each value matched through `.*`;
 * - unions (pact has no union matcher): a union of primitives → `OR` of each branch's rule; a union of objects
 *   (discriminated or not) → the fields required by every branch, each matched as the union of its branch
 *   schemas, other fields left out (so the pact's example then shows only those fields: a consumer that needs
 *   a branch's own fields should get one event type per branch); anything else is left out and reported.
 *
 * Rules are in the pact-file format and contain `combine`, so they must reach the FFI unchanged
 * (see `addEventInteraction`).
 */
export function zodToPact(schema: z.ZodType, example: unknown): PactBodyContract {
  const checked = schema.safeParse(example);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new ContractError(
      'invalid-example',
      `zodToPact: the example does not satisfy the schema at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? ''}`,
      { cause: checked.error },
    );
  }
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  return jsonSchemaToPact(root, example as JsonValue);
}

/** Same as `zodToPact`, from a JSON Schema document (for schemas that do not come from zod). */
export function jsonSchemaToPact(root: JsonSchemaNode, example: JsonValue): PactBodyContract {
  const converter = new Converter(root);
  const content = converter.convert(root, example, '$');
  if (content === omitted) {
    throw new ContractError('unsupported-schema', 'The message body itself cannot be expressed in pact');
  }
  return { content, rules: converter.sortedRules(), looseness: converter.looseness };
}

class Converter {
  readonly looseness: ContractLooseness[] = [];
  private readonly rules = new Map<string, PactRuleList>();
  constructor(private readonly root: JsonSchemaNode) {}

  sortedRules(): Record<string, PactRuleList> {
    const sorted: Record<string, PactRuleList> = {};
    for (const path of [...this.rules.keys()].sort()) sorted[path] = this.rules.get(path) as PactRuleList;
    return sorted;
  }

  convert(node: JsonSchemaNode, example: JsonValue | undefined, path: string): Converted {
    const resolved = resolveRef(node, this.root);
    if (resolved.allOf?.length === 1 && resolved.allOf[0])
      return this.convert(resolved.allOf[0], example, path);
    if (resolved.not && Object.keys(resolved.not).length === 0) {
      throw new ContractError('unsupported-schema', `${path}: the schema accepts no value (z.never())`);
    }
    const branches = branchesOf(resolved);
    if (branches) return this.union(branches, example, path);
    if (resolved.const !== undefined) {
      this.add(path, 'AND', [{ match: 'equality' }]);
      return resolved.const as JsonValue;
    }
    if (resolved.enum) return this.enumeration(resolved.enum as JsonValue[], example, path);
    const value = example === undefined ? this.sample(resolved) : example;
    switch (typeOf(resolved)) {
      case 'string':
        this.add(path, 'AND', stringMatchers(resolved));
        return value;
      case 'integer':
        this.bounds(resolved, path);
        this.add(path, 'AND', [{ match: 'integer' }]);
        return value;
      case 'number':
        this.bounds(resolved, path);
        this.add(path, 'AND', [{ match: 'number' }]);
        return value;
      case 'boolean':
        // Not pact's `boolean` matcher: it also accepts the strings "true"/"false" (found by the property test).
        this.add(path, 'AND', [{ match: 'type' }]);
        return value;
      case 'null':
        this.add(path, 'AND', [{ match: 'null' }]);
        return null;
      case 'array':
        return this.array(resolved, value, path);
      case 'object':
        return this.object(resolved, value, path);
      default:
        this.loose(path, 'the schema accepts any value (z.unknown()/z.any()): left out of the pact', true);
        return omitted;
    }
  }

  private enumeration(values: JsonValue[], example: JsonValue | undefined, path: string): Converted {
    const alternatives = values.map((value) => escapeRegex(literalText(value))).join('|');
    const regex: PactMatcher = { match: 'regex', regex: `^(?:${alternatives})$` };
    if (values.every((value) => typeof value === 'string')) this.add(path, 'AND', [{ match: 'type' }, regex]);
    else if (values.every((value) => typeof value === 'number'))
      this.add(path, 'AND', [{ match: 'number' }, regex]);
    else this.add(path, 'AND', [regex]);
    return example ?? values[0] ?? null;
  }

  private array(node: JsonSchemaNode, example: JsonValue, path: string): Converted {
    const list = Array.isArray(example) ? example : [];
    if (node.prefixItems) {
      this.add(path, 'AND', [{ match: 'type', min: node.prefixItems.length, max: node.prefixItems.length }]);
      return node.prefixItems.map((item, index) => {
        const converted = this.convert(item, list[index], `${path}[${index}]`);
        return converted === omitted ? null : converted;
      });
    }
    const items = node.items === undefined || node.items === false ? {} : node.items;
    const first = list[0] ?? this.sample(items);
    const element = this.convert(items, first, `${path}[*]`);
    const matcher: PactMatcher = {
      match: 'type',
      min: node.minItems ?? 0,
      ...(node.maxItems !== undefined ? { max: node.maxItems } : {}),
    };
    this.add(path, 'AND', [matcher]);
    if (element === omitted) return [];
    // eachLike: the example repeats one element, as many times as the minimum asks.
    return Array.from({ length: Math.max(1, node.minItems ?? 0) }, () => element);
  }

  private object(node: JsonSchemaNode, example: JsonValue, path: string): Converted {
    const record = isRecord(example) ? example : {};
    if (!node.properties && typeof node.additionalProperties === 'object') {
      this.add(path, 'AND', [{ match: 'values' }]);
      const content: Record<string, JsonValue> = {};
      for (const [key, value] of Object.entries(record)) {
        const converted = this.convert(node.additionalProperties, value, `${path}.*`);
        if (converted !== omitted) content[key] = converted;
      }
      if (Object.keys(content).length === 0) {
        this.loose(`${path}.*`, 'empty record in the example: value type not checked');
      }
      return content;
    }
    const required = new Set(node.required ?? []);
    const content: Record<string, JsonValue> = {};
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const childAt = childPath(path, key);
      if (!required.has(key)) {
        this.loose(childAt, 'optional field: left out (pact cannot say "absent, or present with this type")');
        continue;
      }
      const converted = this.convert(child, record[key], childAt);
      if (converted !== omitted) content[key] = converted;
    }
    if (node.additionalProperties === false) {
      this.loose(path, 'strict object: pact always allows extra fields in a message');
    }
    return content;
  }

  private union(
    branches: readonly JsonSchemaNode[],
    example: JsonValue | undefined,
    path: string,
  ): Converted {
    const resolved = branches.map((branch) => resolveRef(branch, this.root));
    const nonNull = resolved.filter((branch) => typeOf(branch) !== 'null');
    const nullable = nonNull.length < resolved.length;
    if (nonNull.length === 0) return this.convert({ type: 'null' }, null, path);
    if (nonNull.length === 1 && nonNull[0]) {
      const inner = nonNull[0];
      const innerType = typeOf(inner);
      if (nullable && (innerType === 'object' || innerType === 'array')) {
        // The verifier applies a map/list's rules with AND whatever `combine` says: "object or null" cannot be
        // expressed without rejecting one of the two (found by the property test).
        this.loose(path, 'nullable object/array: left out of the pact (not expressible)', true);
        return omitted;
      }
      const value = example === null || example === undefined ? this.sample(inner) : example;
      const content = this.convert(inner, value, path);
      if (nullable) this.orNull(path);
      return content;
    }
    if (nonNull.every((branch) => typeOf(branch) === 'object' && branch.properties)) {
      if (nullable) {
        this.loose(path, 'nullable union of objects: left out of the pact (not expressible)', true);
        return omitted;
      }
      return this.objectUnion(nonNull, example, path);
    }
    const singles = nonNull.map((branch) => singleMatcher(branch));
    if (singles.some((matcher) => matcher === undefined)) {
      this.loose(path, 'union mixing objects/arrays with other types: left out of the pact', true);
      return omitted;
    }
    if (nullable) singles.push({ match: 'null' });
    this.add(path, 'OR', dedupe(singles as PactMatcher[]));
    return example ?? this.sample(nonNull[0] as JsonSchemaNode);
  }

  /** A union of objects: the fields every branch requires, each as the union of its branch schemas. */
  private objectUnion(
    branches: readonly JsonSchemaNode[],
    example: JsonValue | undefined,
    path: string,
  ): Converted {
    const record = isRecord(example) ? example : {};
    const common = (branches[0]?.required ?? []).filter((key) =>
      branches.every((branch) => branch.required?.includes(key) && branch.properties?.[key]),
    );
    const content: Record<string, JsonValue> = {};
    for (const key of common) {
      const schemas = uniqueSchemas(branches.map((branch) => branch.properties?.[key] as JsonSchemaNode));
      const merged = mergeLiterals(schemas);
      const converted = this.convert(merged, record[key], childPath(path, key));
      if (converted !== omitted) content[key] = converted;
    }
    this.loose(path, 'union of objects: only the fields every branch requires are matched', true);
    return content;
  }

  private orNull(path: string): void {
    const existing = this.rules.get(path)?.matchers ?? [];
    const single = strongest(existing);
    if (existing.length > 1) {
      this.loose(
        path,
        `nullable: pact's OR takes single matchers, so only ${JSON.stringify(single)} is kept`,
      );
    }
    this.rules.set(path, { combine: 'OR', matchers: [single, { match: 'null' }] });
  }

  private bounds(node: JsonSchemaNode, path: string): void {
    const safe = Number.MAX_SAFE_INTEGER;
    const min = node.minimum ?? node.exclusiveMinimum;
    const max = node.maximum ?? node.exclusiveMaximum;
    const meaningful =
      (min !== undefined && Math.abs(min) !== safe) || (max !== undefined && Math.abs(max) !== safe);
    if (meaningful)
      this.loose(path, `numeric bounds [${min ?? '-∞'}, ${max ?? '∞'}] are not expressible in pact`);
  }

  private add(path: string, combine: 'AND' | 'OR', matchers: readonly PactMatcher[]): void {
    const existing = this.rules.get(path);
    if (!existing) {
      this.rules.set(path, { combine, matchers: dedupe(matchers) });
      return;
    }
    this.rules.set(path, {
      combine: existing.combine,
      matchers: dedupe([...existing.matchers, ...matchers]),
    });
  }

  private loose(path: string, reason: string, incomplete = false): void {
    if (!this.looseness.some((entry) => entry.path === path && entry.reason === reason)) {
      this.looseness.push({ path, reason, ...(incomplete ? { incomplete } : {}) });
    }
  }

  /** A deterministic example for a part of the schema the caller's example does not show. */
  private sample(node: JsonSchemaNode): JsonValue {
    const resolved = resolveRef(node, this.root);
    if (typeOf(resolved) === 'string' && resolved.pattern === undefined && resolved.format === undefined) {
      // A readable word rather than random characters: it ends up in committed pacts.
      const length = Math.min(Math.max(resolved.minLength ?? 1, 7), resolved.maxLength ?? 7);
      return 'example'.padEnd(length, 'x').slice(0, length);
    }
    const [value] = fc.sample(arbitraryFromJsonSchema(node, this.root), { seed: 42, numRuns: 1 });
    return value ?? null;
  }
}

function stringMatchers(node: JsonSchemaNode): PactMatcher[] {
  const matchers: PactMatcher[] = [{ match: 'type' }];
  const pattern = node.pattern ?? (node.format !== undefined ? formatFallbacks[node.format] : undefined);
  if (pattern !== undefined) {
    if (!isRustCompatible(pattern)) {
      throw new ContractError(
        'unsupported-schema',
        `pattern ${pattern} uses look-around or back-references, which the pact verifier (Rust regex) cannot run`,
      );
    }
    matchers.push({ match: 'regex', regex: pattern });
  }
  if (node.minLength !== undefined || node.maxLength !== undefined) {
    // zod counts UTF-16 units, Rust counts code points (1 or 2 units each): these bounds are always sound.
    const min = Math.ceil((node.minLength ?? 0) / 2);
    const max = node.maxLength !== undefined ? String(node.maxLength) : '';
    if (min > 0 || max !== '') matchers.push({ match: 'regex', regex: `^[\\s\\S]{${min},${max}}$` });
  }
  return matchers;
}

/** One matcher standing for a whole branch of a union (pact's OR combines single matchers). */
function singleMatcher(node: JsonSchemaNode): PactMatcher | undefined {
  if (node.const !== undefined) return { match: 'regex', regex: `^${escapeRegex(literalText(node.const))}$` };
  if (node.enum) {
    return {
      match: 'regex',
      regex: `^(?:${node.enum.map((value) => escapeRegex(literalText(value))).join('|')})$`,
    };
  }
  switch (typeOf(node)) {
    case 'string':
      return strongest(stringMatchers(node));
    case 'integer':
      return { match: 'integer' };
    case 'number':
      return { match: 'number' };
    case 'boolean':
      return { match: 'boolean' };
    case 'null':
      return { match: 'null' };
    default:
      return undefined;
  }
}

/**
 * The most specific matcher of an AND list, for use in an OR: a pattern (format, enum, regex) says more than a
 * type; but a mere length regex says less than `type` (it would let a number through), so `type` wins over it.
 */
function strongest(matchers: readonly PactMatcher[]): PactMatcher {
  const rank = (matcher: PactMatcher): number => {
    if (matcher.match === 'regex') return lengthRegex.test(matcher.regex) ? 9 : 0;
    const order = [
      'regex',
      'equality',
      'integer',
      'number',
      'decimal',
      'boolean',
      'values',
      'type',
      'notEmpty',
    ];
    return order.indexOf(matcher.match);
  };
  const sorted = [...matchers].sort((a, b) => rank(a) - rank(b));
  return sorted[0] ?? { match: 'type' };
}

const lengthRegex = /^\^\[\\s\\S\]\{\d+,\d*\}\$$/;

/** A set of literal branches (`'a' | 'b'`) becomes one enum, which the converter turns into one regex. */
function mergeLiterals(schemas: readonly JsonSchemaNode[]): JsonSchemaNode {
  if (schemas.length === 1 && schemas[0]) return schemas[0];
  if (schemas.every((schema) => schema.const !== undefined || schema.enum)) {
    return { enum: schemas.flatMap((schema) => (schema.enum ? [...schema.enum] : [schema.const])) };
  }
  return { anyOf: schemas };
}

function uniqueSchemas(schemas: readonly JsonSchemaNode[]): JsonSchemaNode[] {
  const seen = new Map<string, JsonSchemaNode>();
  for (const schema of schemas) seen.set(JSON.stringify(schema), schema);
  return [...seen.values()];
}

function dedupe(matchers: readonly PactMatcher[]): PactMatcher[] {
  const seen = new Map<string, PactMatcher>();
  for (const matcher of matchers) seen.set(JSON.stringify(matcher), matcher);
  return [...seen.values()];
}

function isRecord(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rust's regex crate has no look-around and no back-references. */
function isRustCompatible(pattern: string): boolean {
  return !/\(\?<?[=!]|\\[1-9]|\\k</.test(pattern);
}

/** How the verifier sees a literal when it runs a regex on it (it stringifies non-strings as JSON). */
function literalText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
