import fc from 'fast-check';
import { branchesOf, resolveRef, typeOf, type JsonSchemaNode } from '../_internals/json-schema';
import type { JsonValue } from '../pact-rules/types';

const maxSafe = Number.MAX_SAFE_INTEGER;

/**
 * A fast-check arbitrary of JSON values described by a JSON Schema node (the subset `z.toJSONSchema` emits).
 * Instances are *meant* to be valid; callers that need certainty filter with the zod schema
 * (see `validInstances`), because JSON Schema cannot say everything zod can (refinements).
 */
export function arbitraryFromJsonSchema(
  node: JsonSchemaNode,
  root: JsonSchemaNode = node,
): fc.Arbitrary<JsonValue> {
  const resolved = resolveRef(node, root);
  if (resolved.const !== undefined) return fc.constant(resolved.const as JsonValue);
  if (resolved.enum) return fc.constantFrom(...(resolved.enum as JsonValue[]));
  const branches = branchesOf(resolved);
  if (branches) return fc.oneof(...branches.map((branch) => arbitraryFromJsonSchema(branch, root)));
  if (resolved.allOf && resolved.allOf.length === 1 && resolved.allOf[0]) {
    return arbitraryFromJsonSchema(resolved.allOf[0], root);
  }
  switch (typeOf(resolved)) {
    case 'string':
      return stringArbitrary(resolved);
    case 'integer':
      return integerArbitrary(resolved);
    case 'number':
      return numberArbitrary(resolved);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return arrayArbitrary(resolved, root);
    case 'object':
      return objectArbitrary(resolved, root);
    default:
      // No constraint at all (z.unknown()): any small JSON value.
      return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>;
  }
}

function stringArbitrary(node: JsonSchemaNode): fc.Arbitrary<JsonValue> {
  const length = (value: string): boolean =>
    (node.minLength === undefined || value.length >= node.minLength) &&
    (node.maxLength === undefined || value.length <= node.maxLength);
  // Known formats first (much faster than generating from zod's long patterns), then the pattern.
  switch (node.format) {
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress();
    case 'date-time':
      return validDate().map((date) => date.toISOString());
    case 'date':
      return validDate().map((date) => date.toISOString().slice(0, 10));
    default: {
      if (node.pattern !== undefined) return fc.stringMatching(new RegExp(node.pattern)).filter(length);
      const constraints = {
        minLength: node.minLength ?? 0,
        ...(node.maxLength !== undefined ? { maxLength: node.maxLength } : { maxLength: 12 }),
      };
      return fc.oneof(fc.string(constraints), fc.string({ ...constraints, unit: 'grapheme' })).filter(length);
    }
  }
}

function validDate(): fc.Arbitrary<Date> {
  return fc.date({
    min: new Date('1970-01-01T00:00:00Z'),
    max: new Date('2999-12-31T23:59:59Z'),
    noInvalidDate: true,
  });
}

function integerArbitrary(node: JsonSchemaNode): fc.Arbitrary<JsonValue> {
  const min = Math.max(
    node.minimum ?? -maxSafe,
    node.exclusiveMinimum !== undefined ? node.exclusiveMinimum + 1 : -maxSafe,
  );
  const max = Math.min(
    node.maximum ?? maxSafe,
    node.exclusiveMaximum !== undefined ? node.exclusiveMaximum - 1 : maxSafe,
  );
  // Mostly small numbers (what real messages carry), sometimes the extremes.
  const small = fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 100_000) });
  const any = fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
  return min <= 100_000 && max >= -1000 ? fc.oneof({ weight: 4, arbitrary: small }, any) : any;
}

function numberArbitrary(node: JsonSchemaNode): fc.Arbitrary<JsonValue> {
  const min = node.minimum ?? node.exclusiveMinimum ?? -1e12;
  const max = node.maximum ?? node.exclusiveMaximum ?? 1e12;
  return fc
    .double({ min, max, noNaN: true, noDefaultInfinity: true })
    .filter(
      (value) =>
        (node.exclusiveMinimum === undefined || value > node.exclusiveMinimum) &&
        (node.exclusiveMaximum === undefined || value < node.exclusiveMaximum),
    )
    .map((value) => (Object.is(value, -0) ? 0 : value));
}

function arrayArbitrary(node: JsonSchemaNode, root: JsonSchemaNode): fc.Arbitrary<JsonValue> {
  if (node.prefixItems) {
    return fc.tuple(...node.prefixItems.map((item) => arbitraryFromJsonSchema(item, root)));
  }
  const items = node.items === undefined || node.items === false ? {} : node.items;
  const minLength = node.minItems ?? 0;
  const maxLength = Math.min(node.maxItems ?? minLength + 3, minLength + 3);
  return fc.array(arbitraryFromJsonSchema(items, root), { minLength, maxLength });
}

function objectArbitrary(node: JsonSchemaNode, root: JsonSchemaNode): fc.Arbitrary<JsonValue> {
  if (!node.properties && typeof node.additionalProperties === 'object') {
    const keys = node.propertyNames
      ? arbitraryFromJsonSchema(node.propertyNames, root).filter(
          (key): key is string => typeof key === 'string',
        )
      : fc.string({ minLength: 1, maxLength: 8 });
    return fc.dictionary(keys, arbitraryFromJsonSchema(node.additionalProperties, root), { maxKeys: 3 });
  }
  const properties = node.properties ?? {};
  const model: Record<string, fc.Arbitrary<JsonValue>> = {};
  for (const [key, child] of Object.entries(properties)) model[key] = arbitraryFromJsonSchema(child, root);
  return fc.record(model, { requiredKeys: [...(node.required ?? [])] });
}
