import type fc from 'fast-check';
import { z } from 'zod';
import type { JsonSchemaNode } from '../_internals/json-schema';
import type { JsonValue } from '../pact-rules/types';
import { arbitraryFromJsonSchema } from './json-schema-arbitrary';

/**
 * A fast-check arbitrary of JSON values that the zod schema accepts (as its *input*: what arrives on the wire).
 * Generated from the schema's JSON Schema, then filtered by the zod schema itself, so refinements hold too.
 */
export function validInstances(schema: z.ZodType): fc.Arbitrary<JsonValue> {
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  return arbitraryFromJsonSchema(jsonSchema).filter((value) => schema.safeParse(value).success);
}
