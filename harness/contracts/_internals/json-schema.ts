/**
 * The subset of JSON Schema (2020-12) that `z.toJSONSchema` emits and that the contract tools read.
 * Kept structural (no `any`): unknown keywords are simply ignored.
 */
export interface JsonSchemaNode {
  readonly $schema?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchemaNode>>;
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly oneOf?: readonly JsonSchemaNode[];
  readonly allOf?: readonly JsonSchemaNode[];
  readonly not?: JsonSchemaNode;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchemaNode;
  readonly propertyNames?: JsonSchemaNode;
  readonly items?: JsonSchemaNode | false;
  readonly prefixItems?: readonly JsonSchemaNode[];
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly multipleOf?: number;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
}

/** The single `type` of a node, or undefined when it has none or several. */
export function typeOf(node: JsonSchemaNode): string | undefined {
  if (typeof node.type === 'string') return node.type;
  if (Array.isArray(node.type) && node.type.length === 1) return node.type[0] as string;
  return undefined;
}

/** The branches of an `anyOf`/`oneOf`, or undefined. A multi-type `type` array is expanded into branches. */
export function branchesOf(node: JsonSchemaNode): readonly JsonSchemaNode[] | undefined {
  if (node.anyOf) return node.anyOf;
  if (node.oneOf) return node.oneOf;
  if (Array.isArray(node.type) && node.type.length > 1) {
    const { type: types, ...rest } = node;
    return (types as readonly string[]).map((type) => ({ ...rest, type }));
  }
  return undefined;
}

/** Resolves a local `$ref` (`#/$defs/Name`) against the root document. */
export function resolveRef(node: JsonSchemaNode, root: JsonSchemaNode): JsonSchemaNode {
  if (!node.$ref) return node;
  const match = /^#\/\$defs\/(.+)$/.exec(node.$ref);
  const target = match?.[1] !== undefined ? root.$defs?.[match[1]] : undefined;
  if (!target) throw new Error(`Unsupported $ref "${node.$ref}" (only #/$defs/... is supported)`);
  return target;
}

/** JSONPath of a child property: `$.a.b`, or `$['a-b']` when the key is not an identifier. */
export function childPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}['${key.replace(/'/g, "\\'")}']`;
}

/** Escapes a literal for use inside a regular expression (Rust and JS agree on these escapes). */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
