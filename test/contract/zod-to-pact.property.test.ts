import { PactV4 } from '@pact-foundation/pact';
import fc from 'fast-check';
import { z } from 'zod';
import type { EventDefinition } from '../../harness/events/define-event';
import { validInstances } from '../../harness/contracts/instances/valid-instances';
import { eventMessageSchema } from '../../harness/contracts/pact/event-message';
import { addEventInteraction } from '../../harness/contracts/pact/event-interaction';
import { verifyMessageProvider } from '../../harness/contracts/pact/verify-message-provider';
import { zodToPact } from '../../harness/contracts/pact-rules/zod-to-pact';
import type { JsonValue } from '../../harness/contracts/pact-rules/types';
import { shopCatalog } from '../../reference-services/events/catalog';
import { runSeed, tempPactDir } from './support/pact-fixtures';

/**
 * Property: the pact generated from a zod schema accepts every valid instance and rejects every instance that
 * breaks a field the consumer reads — checked by the REAL pact verifier (FFI), not by a reimplementation.
 */

const seed = runSeed();
// CONTRACT_RUNS=200 for a deeper search (the default keeps the contract tier fast).
/** A complete event message around a catalog definition's example payload (fixed ids: deterministic pacts). */
function exampleMessage(definition: EventDefinition): Record<string, unknown> {
  return {
    eventId: '0192f5a0-7c1e-7a3b-8d4e-000000000001',
    eventType: definition.type,
    version: definition.version,
    timestamp: '2026-01-01T12:00:00.000Z',
    correlationId: '0192f5a0-7c1e-7a3b-8d4e-000000000002',
    causationId: '0192f5a0-7c1e-7a3b-8d4e-000000000003',
    payload: definition.example,
  };
}

const validRuns = Number(process.env['CONTRACT_RUNS'] ?? 15);
const brokenRuns = validRuns;
const pactDir = tempPactDir('zod-to-pact');

afterAll(() => pactDir.dispose());

const everyFeature = z.object({
  id: z.uuid(),
  at: z.iso.datetime({ offset: true }),
  day: z.iso.date(),
  email: z.email(),
  sku: z.string().regex(/^[A-Z]{3}-\d{2}$/),
  count: z.number().int().nonnegative(),
  ratio: z.number().min(0).max(1),
  price: z.number(),
  flag: z.boolean(),
  tier: z.enum(['standard', 'premium', 'a.b|c']),
  kind: z.literal('fixed'),
  note: z.string().min(2).max(40),
  maybe: z.string().min(1).nullable(),
  maybeCode: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .nullable(),
  maybeCount: z.number().int().nullable(),
  later: z.string().optional(),
  tags: z.array(z.string()),
  lines: z
    .array(z.object({ sku: z.string().regex(/^[A-Z0-9]{3,8}$/), qty: z.number().int().positive() }))
    .min(1),
  totals: z.record(z.string(), z.number().int()),
  shape: z.discriminatedUnion('type', [
    z.object({ type: z.literal('circle'), radius: z.number() }),
    z.object({ type: z.literal('square'), side: z.number() }),
  ]),
  idOrCode: z.union([z.uuid(), z.number().int()]),
  nested: z.object({ inner: z.object({ deep: z.boolean() }) }).nullable(),
});

const everyFeatureExample = {
  id: '0192f5a0-7c1e-7a3b-8d4e-1f2a3b4c5d6e',
  at: '2026-01-01T10:00:00.000Z',
  day: '2026-01-02',
  email: 'ada@example.com',
  sku: 'ABC-12',
  count: 3,
  ratio: 0.25,
  price: 9.5,
  flag: true,
  tier: 'premium',
  kind: 'fixed',
  note: 'hello',
  maybe: null,
  maybeCode: 'GB',
  maybeCount: null,
  tags: [],
  lines: [{ sku: 'BOOK1', qty: 2 }],
  totals: { eur: 100 },
  shape: { type: 'circle', radius: 2 },
  idOrCode: 7,
  nested: { inner: { deep: false } },
};

interface Case {
  readonly name: string;
  readonly schema: z.ZodType;
  readonly example: unknown;
}

const cases: Case[] = [
  { name: 'every-feature', schema: everyFeature, example: everyFeatureExample },
  // Events whose payloads together use every shape of the shop's catalog (the rest reuse the same parts).
  ...shopCatalog.definitions
    .filter((definition) =>
      [
        'OrderPlaced',
        'InventoryReservationFailed',
        'OrderCancelled',
        'ShipmentScheduled',
        'CustomerNotified',
      ].includes(definition.type),
    )
    .map((definition) => ({
      name: definition.type,
      schema: eventMessageSchema(definition),
      example: exampleMessage(definition),
    })),
];

/** A field the consumer reads (present in the pact content) located in an instance, and how to break it. */
interface Breakage {
  readonly path: (string | number)[];
  readonly kind: 'change-type' | 'invalid-value' | 'delete';
}

describe(`zodToPact against the real pact verifier (seed ${seed}; replay with CONTRACT_SEED=${seed})`, () => {
  beforeAll(() => {
    console.log(
      `zod-to-pact property test: seed ${seed} (replay: CONTRACT_SEED=${seed} npx jest test/contract)`,
    );
  });

  it.each(cases.map((testCase, index) => [testCase.name, testCase, index] as const))(
    '%s: valid instances verify, instances breaking a read field fail naming it',
    async (name, testCase, index) => {
      const contract = zodToPact(testCase.schema, testCase.example);
      // The pact's own example must be something the consumer's schema accepts, unless the converter says it
      // had to leave a required field out (unions of objects, nullable objects).
      const incomplete = contract.looseness.some((entry) => entry.incomplete === true);
      expect(testCase.schema.safeParse(contract.content).success || incomplete).toBe(true);

      const valid = fc.sample(validInstances(testCase.schema), { seed: seed + index, numRuns: validRuns });
      const broken = fc
        .sample(fc.tuple(validInstances(testCase.schema), fc.nat(), fc.nat()), {
          seed: seed + 1000 + index,
          numRuns: brokenRuns * 2,
        })
        .map(([instance, pick, how]) => breakInstance(instance, contract.content, pick, how))
        .filter((entry): entry is BrokenInstance => entry !== undefined)
        .filter((entry) => !testCase.schema.safeParse(entry.value).success)
        .slice(0, brokenRuns);
      expect(broken.length).toBeGreaterThan(5);

      const consumer = `zod-to-pact-${name}`;
      const pact = new PactV4({ consumer, provider: 'generator', dir: pactDir.dir, logLevel: 'error' });
      const providers: Record<string, () => Promise<unknown>> = {};
      const descriptions = [
        ...valid.map((value, i) => ({ description: `valid #${i}`, value })),
        ...broken.map((entry, i) => ({ description: `broken #${i} ${entry.describe}`, value: entry.value })),
      ];
      for (const { description, value } of descriptions) {
        await addEventInteraction(pact, { description, contract }).executeTest((message) => {
          // Consumer side: the content the pact promises is accepted by the consumer's schema.
          if (!incomplete) testCase.schema.parse(message.contents.content);
          return Promise.resolve();
        });
        providers[description] = () => Promise.resolve(value);
      }

      const report = await verifyMessageProvider({
        provider: 'generator',
        source: { kind: 'files', pactUrls: [`${pactDir.dir}/${consumer}-generator.json`] },
        messageProviders: providers,
      });

      const verdicts = new Map(report.interactions.map((verdict) => [verdict.description, verdict]));
      const problems: string[] = [];
      valid.forEach((value, i) => {
        const verdict = verdicts.get(`valid #${i}`);
        if (!verdict?.ok) {
          problems.push(
            `valid instance rejected (unsound rule): ${JSON.stringify(value)}\n  ${JSON.stringify(verdict?.mismatches)}`,
          );
        }
      });
      broken.forEach((entry, i) => {
        const verdict = verdicts.get(`broken #${i} ${entry.describe}`);
        if (!verdict || verdict.ok) {
          problems.push(
            `broken instance verified (rule too loose): ${entry.describe} in ${JSON.stringify(entry.value)}`,
          );
          return;
        }
        if (!verdict.mismatches.some((mismatch) => namesField(mismatch, entry.breakage))) {
          problems.push(`mismatch does not name ${entry.describe}: ${JSON.stringify(verdict.mismatches)}`);
        }
      });
      if (problems.length > 0) {
        throw new Error(`seed ${seed} (CONTRACT_SEED=${seed}), case ${name}:\n${problems.join('\n')}`);
      }
    },
  );

  it("gives complete messages for every event of the shop's catalog (nothing left out of its pacts)", () => {
    for (const definition of shopCatalog.definitions) {
      const { looseness } = zodToPact(eventMessageSchema(definition), exampleMessage(definition));
      expect(looseness.filter((entry) => entry.incomplete)).toEqual([]);
    }
  });

  it('documents where the pact is looser than the schema (bounds, optional fields, unions)', () => {
    const { looseness } = zodToPact(everyFeature, everyFeatureExample);
    const paths = looseness.map((entry) => entry.path);
    expect(paths).toEqual(expect.arrayContaining(['$.ratio', '$.later', '$.shape', '$.nested']));
  });

  it('keeps nullability, formats, enums, integer-ness and eachLike minimums in the rules', () => {
    const { rules } = zodToPact(everyFeature, everyFeatureExample);
    expect(rules['$.maybeCount']).toEqual({
      combine: 'OR',
      matchers: [{ match: 'integer' }, { match: 'null' }],
    });
    expect(rules['$.count']?.matchers).toEqual([{ match: 'integer' }]);
    expect(rules['$.price']?.matchers).toEqual([{ match: 'number' }]);
    expect(rules['$.lines']?.matchers).toEqual([{ match: 'type', min: 1 }]);
    expect(rules['$.tier']?.matchers).toContainEqual({
      match: 'regex',
      regex: '^(?:standard|premium|a\\.b\\|c)$',
    });
    expect(rules['$.kind']?.matchers).toEqual([{ match: 'equality' }]);
    expect(rules['$.shape.type']?.matchers).toContainEqual({ match: 'regex', regex: '^(?:circle|square)$' });
    expect(rules['$.totals']?.matchers).toEqual([{ match: 'values' }]);
  });
});

interface BrokenInstance {
  readonly value: JsonValue;
  readonly breakage: Breakage;
  readonly describe: string;
}

/** Picks a field present in both the pact content and the instance, and breaks it. */
function breakInstance(
  instance: JsonValue,
  content: JsonValue,
  pick: number,
  how: number,
): BrokenInstance | undefined {
  const targets: (string | number)[][] = [];
  collectTargets(instance, content, [], targets);
  const target = targets[pick % targets.length];
  if (!target || target.length === 0) return undefined;
  const current = getAt(instance, target);
  const parent = getAt(instance, target.slice(0, -1));
  const kinds: Breakage['kind'][] = ['change-type', 'invalid-value'];
  if (typeof target[target.length - 1] === 'string' && isObject(parent)) kinds.push('delete');
  const kind = kinds[how % kinds.length] as Breakage['kind'];
  const value = structuredClone(instance);
  const container = getAt(value, target.slice(0, -1)) as Record<string | number, JsonValue>;
  const key = target[target.length - 1] as string | number;
  if (kind === 'delete') delete container[key];
  else container[key] = kind === 'change-type' ? otherType(current) : invalidValue(current);
  return { value, breakage: { path: target, kind }, describe: `${kind} ${jsonPath(target)}` };
}

function collectTargets(
  instance: JsonValue,
  content: JsonValue,
  path: (string | number)[],
  out: (string | number)[][],
): void {
  out.push(path);
  if (Array.isArray(content) && Array.isArray(instance)) {
    const template = content[0];
    if (template === undefined) return;
    instance.forEach((item, index) => collectTargets(item, template, [...path, index], out));
    return;
  }
  if (isObject(content) && isObject(instance)) {
    for (const key of Object.keys(content)) {
      const child = instance[key];
      const template = content[key];
      if (child !== undefined && template !== undefined) collectTargets(child, template, [...path, key], out);
    }
  }
}

function otherType(value: JsonValue | undefined): JsonValue {
  if (typeof value === 'string') return 12345;
  if (typeof value === 'number') return 'not-a-number';
  if (typeof value === 'boolean') return 'true';
  if (value === null) return { unexpected: true };
  if (Array.isArray(value)) return { notAList: true };
  return 'not-an-object';
}

function invalidValue(value: JsonValue | undefined): JsonValue {
  if (typeof value === 'string') return '!! not valid !!';
  if (typeof value === 'number') return Number.isInteger(value) ? value + 0.5 : 'x';
  return otherType(value);
}

function namesField(mismatch: { path: string; message: string }, breakage: Breakage): boolean {
  const normalized = mismatch.path.replace(/\[(\d+)\]/g, '.$1').replace(/\['([^']+)'\]/g, '.$1');
  const target = jsonPath(breakage.path).replace(/\[(\d+)\]/g, '.$1');
  if (normalized === target || normalized.startsWith(`${target}.`)) return true;
  // A deleted key is reported on its parent object, naming the key.
  const parent = jsonPath(breakage.path.slice(0, -1)).replace(/\[(\d+)\]/g, '.$1');
  const key = String(breakage.path[breakage.path.length - 1]);
  return breakage.kind === 'delete' && normalized === parent && mismatch.message.includes(key);
}

function jsonPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${part}`),
    '$',
  );
}

function getAt(value: JsonValue, path: readonly (string | number)[]): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, JsonValue>)[part];
  }
  return current;
}

function isObject(value: JsonValue | undefined): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
