import type { JsonValue, PactBodyContract, PactMatcher, PactRuleList } from '../pact-rules/types';

/** Options of `inferContract`. */
export interface InferContractOptions {
  /**
   * A string field becomes an enum when it took at most this many distinct values and every value was seen at
   * least twice (a value seen once is more likely an id than a member of a set). Default 5.
   */
  readonly maxEnumValues?: number;
}

const formats: readonly { readonly name: string; readonly regex: string }[] = [
  {
    name: 'uuid',
    regex: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  },
  {
    name: 'ISO date-time',
    regex: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:\\d{2})$',
  },
  { name: 'ISO date', regex: '^\\d{4}-\\d{2}-\\d{2}$' },
  { name: 'email', regex: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' },
];

/** What was inferred at one path, for the review note of a recorded pact. */
export interface InferredField {
  readonly path: string;
  /** `integer`, `decimal`, `number`, `uuid`, `enum (a|b)`, `string`, `boolean`, `array`, `nullable …`. */
  readonly kind: string;
}

/** A pact body inferred from observed messages: the contract, and what each path was taken to be. */
export interface InferredContract extends PactBodyContract {
  readonly fields: readonly InferredField[];
}

/**
 * Infers a pact body (example + matching rules) from the bodies of one kind of message seen on the wire: the
 * example is the first sample restricted to the fields every sample had; each field gets the tightest rule all
 * samples satisfy — integer vs decimal, uuid / ISO date-time / date / email, an enum for a small value set,
 * `type` otherwise; arrays match each element. Fields absent from some samples are left out (optional).
 */
export function inferContract(
  samples: readonly JsonValue[],
  options: InferContractOptions = {},
): InferredContract {
  if (samples.length === 0) throw new RangeError('inferContract: no samples');
  const rules: Record<string, PactRuleList> = {};
  const fields: InferredField[] = [];
  const looseness: { path: string; reason: string }[] = [];
  const maxEnum = options.maxEnumValues ?? 5;

  const visit = (path: string, values: readonly JsonValue[]): JsonValue => {
    const present = values.filter((value) => value !== null);
    const nullable = present.length < values.length;
    const first = present[0];
    if (first === undefined) {
      rules[path] = and({ match: 'null' });
      fields.push({ path, kind: 'null' });
      return null;
    }
    const kinds = new Set(present.map(kindOf));
    if (kinds.size > 1) {
      looseness.push({ path, reason: `seen as ${[...kinds].join(' and ')}: no rule` });
      fields.push({ path, kind: [...kinds].join(' | ') });
      return first;
    }
    const record = (rule: PactRuleList, kind: string): void => {
      rules[path] = nullable ? { combine: 'OR', matchers: [...rule.matchers, { match: 'null' }] } : rule;
      fields.push({ path, kind: nullable ? `nullable ${kind}` : kind });
    };
    if (typeof first === 'number') {
      const numbers = present as number[];
      const integers = numbers.every((value) => Number.isInteger(value));
      const decimals = numbers.every((value) => !Number.isInteger(value));
      const kind = integers ? 'integer' : decimals ? 'decimal' : 'number';
      record(and({ match: kind }), kind);
      return first;
    }
    if (typeof first === 'boolean') {
      record(and({ match: 'type' }), 'boolean');
      return first;
    }
    if (typeof first === 'string') {
      const strings = present as string[];
      const format = formats.find((candidate) =>
        strings.every((value) => new RegExp(candidate.regex).test(value)),
      );
      if (format) {
        record(and({ match: 'type' }, { match: 'regex', regex: format.regex }), format.name);
        return first;
      }
      const counts = new Map<string, number>();
      for (const value of strings) counts.set(value, (counts.get(value) ?? 0) + 1);
      if (counts.size <= maxEnum && [...counts.values()].every((count) => count >= 2)) {
        const members = [...counts.keys()].sort();
        const regex = `^(${members.map(escapeRegex).join('|')})$`;
        record(and({ match: 'type' }, { match: 'regex', regex }), `enum (${members.join('|')})`);
        return first;
      }
      record(and({ match: 'type' }), 'string');
      return first;
    }
    if (Array.isArray(first)) {
      const arrays = present as JsonValue[][];
      const elements = arrays.flat();
      const min = Math.min(...arrays.map((array) => array.length));
      record(and(min > 0 ? { match: 'type', min: 1 } : { match: 'type' }), 'array');
      if (elements.length === 0) return first;
      // Every element of every sample teaches the element rule; the example keeps one element.
      return [visit(`${path}[*]`, elements)];
    }
    const objects = present as { [key: string]: JsonValue }[];
    const keys = Object.keys(first).filter((key) => objects.every((object) => key in object));
    for (const key of Object.keys(first)) {
      if (!keys.includes(key))
        looseness.push({ path: child(path, key), reason: 'absent from some messages: left out' });
    }
    const example: { [key: string]: JsonValue } = {};
    for (const key of keys)
      example[key] = visit(
        child(path, key),
        objects.map((object) => object[key] ?? null),
      );
    if (nullable) fields.push({ path, kind: 'nullable object (not expressible: left out)' });
    return example;
  };

  const content = visit('$', samples);
  // The root object/array needs no rule of its own: pact compares the body's shape through its fields.
  delete rules['$'];
  return {
    content,
    rules: Object.fromEntries(Object.entries(rules).sort(([a], [b]) => a.localeCompare(b))),
    looseness,
    fields: fields.filter((field) => field.path !== '$'),
  };
}

function and(...matchers: PactMatcher[]): PactRuleList {
  return { combine: 'AND', matchers };
}

function kindOf(value: JsonValue): string {
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function child(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}['${key.replace(/'/g, "\\'")}']`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
