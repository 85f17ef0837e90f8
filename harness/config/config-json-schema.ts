import { z } from 'zod';
import { troupeConfigSchema } from './config-schema';

/** Where the repository and the package keep the manifest's JSON Schema. */
export const configJsonSchemaPath = 'schema/troupe.config.schema.json';

/**
 * The JSON Schema of a JSON or YAML manifest, derived from the zod schema (the single source of truth), for
 * editor completion and validation: `"$schema": "./node_modules/troupe/schema/troupe.config.schema.json"` in
 * troupe.config.json, or `# yaml-language-server: $schema=./node_modules/troupe/schema/troupe.config.schema.json`
 * on the first line of troupe.config.yaml. What only code can give (a custom adapter function, invariants) is
 * accepted as anything here; the loader still checks it.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(troupeConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  > & { readonly properties?: Record<string, unknown> };
  return {
    ...schema,
    title: 'Troupe manifest',
    description:
      'troupe.config.json / troupe.config.yaml: the broker and exchanges, how to start each service, how to read ' +
      'its messages, and how flows start and end.',
    properties: {
      // The editor's pointer to this schema; the loader ignores it.
      $schema: { type: 'string' },
      ...schema.properties,
    },
  };
}

/** The JSON Schema as the text kept in `schema/` (stable key order, trailing newline). */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
