import { branchesOf, resolveRef, typeOf, type JsonSchemaNode } from '../_internals/json-schema';

/**
 * Compatibility modes as Confluent Schema Registry defines them:
 * - BACKWARD: consumers on the NEW schema can read data written with the LAST schema (upgrade consumers first);
 * - FORWARD: data written with the NEW schema can be read by consumers on the LAST schema (upgrade producers first);
 * - FULL: both.
 */
export type CompatibilityMode = 'BACKWARD' | 'FORWARD' | 'FULL';

/** Stable codes of the breaking changes the checker names. */
export type BreakingChangeCode =
  | 'field-required'
  | 'type-narrowed'
  | 'enum-value-unknown'
  | 'literal-changed'
  | 'null-not-accepted'
  | 'constraint-tightened'
  | 'pattern-changed'
  | 'extra-field-refused'
  | 'union-branch-unreadable';

/** One change that makes some writer data unreadable for the reader. */
export interface BreakingChange {
  readonly code: BreakingChangeCode;
  /** Dotted path in the message (`payload.customer.tier`). */
  readonly path: string;
  /** Which direction breaks: the reader on `reader` cannot read data written by `writer`. */
  readonly direction: 'BACKWARD' | 'FORWARD';
  readonly message: string;
}

/** The verdict of `checkCompatibility`. */
export interface CompatibilityReport {
  readonly mode: CompatibilityMode;
  readonly compatible: boolean;
  readonly changes: readonly BreakingChange[];
}

/**
 * Compares the last released schema with the new one under `mode`, naming every breaking change. Structural and
 * conservative: when it cannot prove that every value the writer may produce is accepted by the reader (e.g. two
 * different regexes), it reports a change.
 */
export function checkCompatibility(
  last: JsonSchemaNode,
  next: JsonSchemaNode,
  mode: CompatibilityMode = 'BACKWARD',
): CompatibilityReport {
  const changes: BreakingChange[] = [];
  if (mode === 'BACKWARD' || mode === 'FULL') {
    readable(
      { reader: next, writer: last, readerRoot: next, writerRoot: last, direction: 'BACKWARD', changes },
      '',
    );
  }
  if (mode === 'FORWARD' || mode === 'FULL') {
    readable(
      { reader: last, writer: next, readerRoot: last, writerRoot: next, direction: 'FORWARD', changes },
      '',
    );
  }
  return { mode, compatible: changes.length === 0, changes };
}

interface Comparison {
  readonly reader: JsonSchemaNode;
  readonly writer: JsonSchemaNode;
  readonly readerRoot: JsonSchemaNode;
  readonly writerRoot: JsonSchemaNode;
  readonly direction: 'BACKWARD' | 'FORWARD';
  readonly changes: BreakingChange[];
}

function readable(comparison: Comparison, path: string): void {
  const reader = resolveRef(comparison.reader, comparison.readerRoot);
  const writer = resolveRef(comparison.writer, comparison.writerRoot);
  const at = (child: Partial<Comparison>): Comparison => ({ ...comparison, ...child });
  const report = (code: BreakingChangeCode, message: string): void => {
    comparison.changes.push({ code, path: path || '(root)', direction: comparison.direction, message });
  };
  if (isAnything(reader)) return;

  const writerBranches = branchesOf(writer);
  if (writerBranches) {
    // Every kind of value the writer may send must be readable.
    for (const branch of writerBranches) {
      if (typeOf(resolveRef(branch, comparison.writerRoot)) === 'null') {
        if (!acceptsNull(reader, comparison.readerRoot))
          report('null-not-accepted', 'the writer may send null; the reader refuses null');
        continue;
      }
      readable(at({ writer: branch }), path);
    }
    return;
  }
  const readerBranches = branchesOf(reader);
  if (readerBranches) {
    // The writer's values must fit at least one reader branch: take the branch that breaks least.
    let best: BreakingChange[] | undefined;
    for (const branch of readerBranches) {
      const trial: BreakingChange[] = [];
      readable(at({ reader: branch, changes: trial }), path);
      if (!best || trial.length < best.length) best = trial;
      if (trial.length === 0) break;
    }
    if (best && best.length > 0) comparison.changes.push(...best);
    return;
  }

  if (reader.const !== undefined) {
    if (JSON.stringify(writer.const) !== JSON.stringify(reader.const)) {
      const sent = writer.const !== undefined ? JSON.stringify(writer.const) : describeType(writer);
      report(
        'literal-changed',
        `the reader expects exactly ${JSON.stringify(reader.const)}; the writer may send ${sent}`,
      );
    }
    return;
  }
  if (reader.enum) {
    const writerValues = writer.enum ?? (writer.const !== undefined ? [writer.const] : undefined);
    if (!writerValues) {
      report(
        'enum-value-unknown',
        `the reader accepts only ${JSON.stringify(reader.enum)}; the writer may send any ${describeType(writer)}`,
      );
      return;
    }
    const known = new Set(reader.enum.map((value) => JSON.stringify(value)));
    for (const value of writerValues) {
      if (!known.has(JSON.stringify(value))) {
        report(
          'enum-value-unknown',
          `the writer may send ${JSON.stringify(value)}, which the reader does not know`,
        );
      }
    }
    return;
  }

  const readerType = typeOf(reader);
  const writerType =
    typeOf(writer) ??
    (writer.const !== undefined ? jsonType(writer.const) : writer.enum ? commonType(writer.enum) : undefined);
  if (readerType && writerType !== readerType && !(readerType === 'number' && writerType === 'integer')) {
    report(
      'type-narrowed',
      `the reader expects ${readerType}; the writer may send ${writerType ?? 'anything'}`,
    );
    return;
  }

  switch (readerType) {
    case 'object':
      objects(comparison, reader, writer, path, report);
      return;
    case 'array':
      tightened(report, 'minItems', reader.minItems, writer.minItems, 'at least');
      tightened(report, 'maxItems', reader.maxItems, writer.maxItems, 'at most');
      if (reader.items && writer.items)
        readable(at({ reader: reader.items, writer: writer.items }), `${path}[]`);
      return;
    case 'string':
      tightened(report, 'minLength', reader.minLength, writer.minLength, 'at least');
      tightened(report, 'maxLength', reader.maxLength, writer.maxLength, 'at most');
      if (reader.pattern !== undefined && reader.pattern !== writer.pattern) {
        report(
          'pattern-changed',
          `the reader requires /${reader.pattern}/; the writer ${writer.pattern ? `uses /${writer.pattern}/` : 'has no pattern'}`,
        );
      } else if (
        reader.format !== undefined &&
        reader.format !== writer.format &&
        reader.pattern === undefined
      ) {
        report(
          'pattern-changed',
          `the reader requires format ${reader.format}; the writer ${writer.format ? `uses ${writer.format}` : 'has none'}`,
        );
      }
      return;
    case 'integer':
    case 'number':
      tightened(report, 'minimum', lower(reader), lower(writer), 'at least');
      tightened(report, 'maximum', upper(reader), upper(writer), 'at most');
      return;
    default:
      return;
  }
}

function objects(
  comparison: Comparison,
  reader: JsonSchemaNode,
  writer: JsonSchemaNode,
  path: string,
  report: (code: BreakingChangeCode, message: string) => void,
): void {
  const readerProps = reader.properties ?? {};
  const writerProps = writer.properties ?? {};
  const writerRequired = new Set(writer.required ?? []);
  for (const key of reader.required ?? []) {
    if (!writerRequired.has(key)) {
      const why = writerProps[key]
        ? 'the writer may omit it (optional there)'
        : 'the writer does not send it';
      comparison.changes.push({
        code: 'field-required',
        path: join(path, key),
        direction: comparison.direction,
        message: `the reader requires ${key}; ${why}`,
      });
    }
  }
  for (const [key, writerProp] of Object.entries(writerProps)) {
    const readerProp = readerProps[key];
    if (readerProp) {
      readable({ ...comparison, reader: readerProp, writer: writerProp }, join(path, key));
    } else if (reader.additionalProperties === false) {
      report('extra-field-refused', `the writer may send ${key}; the reader refuses unknown fields`);
    } else if (typeof reader.additionalProperties === 'object') {
      readable({ ...comparison, reader: reader.additionalProperties, writer: writerProp }, join(path, key));
    }
  }
  if (typeof reader.additionalProperties === 'object' && typeof writer.additionalProperties === 'object') {
    readable(
      { ...comparison, reader: reader.additionalProperties, writer: writer.additionalProperties },
      join(path, '*'),
    );
  }
}

function tightened(
  report: (code: BreakingChangeCode, message: string) => void,
  keyword: string,
  reader: number | undefined,
  writer: number | undefined,
  direction: 'at least' | 'at most',
): void {
  if (reader === undefined) return;
  const looser = writer === undefined || (direction === 'at least' ? writer < reader : writer > reader);
  if (looser) {
    report(
      'constraint-tightened',
      `the reader requires ${keyword} ${direction} ${reader}; the writer allows ${writer ?? 'any'}`,
    );
  }
}

function lower(node: JsonSchemaNode): number | undefined {
  return node.minimum ?? node.exclusiveMinimum;
}

function upper(node: JsonSchemaNode): number | undefined {
  return node.maximum ?? node.exclusiveMaximum;
}

function acceptsNull(node: JsonSchemaNode, root: JsonSchemaNode): boolean {
  const resolved = resolveRef(node, root);
  if (isAnything(resolved) || typeOf(resolved) === 'null') return true;
  return (branchesOf(resolved) ?? []).some((branch) => acceptsNull(branch, root));
}

function isAnything(node: JsonSchemaNode): boolean {
  return (
    node.type === undefined &&
    node.anyOf === undefined &&
    node.oneOf === undefined &&
    node.const === undefined &&
    node.enum === undefined &&
    node.$ref === undefined &&
    node.properties === undefined
  );
}

function describeType(node: JsonSchemaNode): string {
  return typeOf(node) ?? 'value';
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function commonType(values: readonly unknown[]): string | undefined {
  const types = new Set(values.map(jsonType));
  if (types.size === 1) return [...types][0];
  if ([...types].every((type) => type === 'integer' || type === 'number')) return 'number';
  return undefined;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
