import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { createScenarioSchema, type ScenarioSpec } from './scenario-schema';
import type { Target } from '../target/target';
import { scenarioVocabularyOf, type ScenarioVocabulary, type VocabularyOptions } from './scenario-vocabulary';
import { ScenarioSpecError, type ScenarioSpecIssue, type ScenarioSpecIssueCode } from './scenario-spec-error';
import { formatSpecPath } from './_internals/format-path';
import { locateInYaml } from './_internals/yaml-locate';
import { fillPlaceholders, findPlaceholders, templateProblem } from './_internals/placeholders';

/** A validated scenario and where it came from. */
export interface LoadedScenario {
  readonly file: string;
  readonly spec: ScenarioSpec;
}

/** What a spec is checked against. */
export interface LoadScenarioOptions {
  readonly vocabulary: ScenarioVocabulary;
  /** The payload schema of an event type, to check `publish` payloads at load time. */
  readonly payloadSchema?: (eventType: string) => z.ZodType | undefined;
}

/** Loader options for `target`: its vocabulary and its payload schemas. */
export function scenarioLoadOptions(target: Target, options: VocabularyOptions = {}): LoadScenarioOptions {
  const payloadSchema = target.payloadSchema?.bind(target);
  return { vocabulary: scenarioVocabularyOf(target, options), ...(payloadSchema ? { payloadSchema } : {}) };
}

/** `parseScenario`'s result: never throws on a bad spec. */
export type ParseScenarioResult =
  | { readonly ok: true; readonly scenario: LoadedScenario }
  | { readonly ok: false; readonly error: ScenarioSpecError };

const schemas = new WeakMap<ScenarioVocabulary, ReturnType<typeof createScenarioSchema>>();

function schemaFor(vocabulary: ScenarioVocabulary): ReturnType<typeof createScenarioSchema> {
  let schema = schemas.get(vocabulary);
  if (!schema) {
    schema = createScenarioSchema(vocabulary);
    schemas.set(vocabulary, schema);
  }
  return schema;
}

/**
 * Parses and validates a scenario spec from YAML text. Every problem is reported with file, line, column and
 * the path inside the spec; it returns `{ ok: false, error }` rather than throwing.
 */
export function parseScenario(text: string, file: string, options: LoadScenarioOptions): ParseScenarioResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lines = text.split(/\r?\n/);
  const issue = (
    code: ScenarioSpecIssueCode,
    message: string,
    path: readonly PropertyKey[],
    atKey = false,
  ): ScenarioSpecIssue => {
    const { line, column } = locateInYaml(document, lineCounter, path, atKey);
    const sourceLine = lines[line - 1];
    return {
      code,
      message,
      file,
      line,
      column,
      path: formatSpecPath(path),
      ...(sourceLine === undefined ? {} : { sourceLine }),
    };
  };

  if (document.errors.length > 0) {
    const issues = document.errors.map((error): ScenarioSpecIssue => {
      const position = lineCounter.linePos(error.pos[0]);
      const sourceLine = lines[position.line - 1];
      return {
        code: 'yaml-syntax',
        message: error.message.split('\n')[0] ?? error.message,
        file,
        line: position.line,
        column: position.col,
        path: '',
        ...(sourceLine === undefined ? {} : { sourceLine }),
      };
    });
    return { ok: false, error: new ScenarioSpecError(issues) };
  }

  let raw: unknown;
  try {
    raw = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Valid YAML that cannot become data (an alias bomb): still a spec error, never a throw.
    const message = error instanceof Error ? error.message : String(error);
    const issue: ScenarioSpecIssue = { code: 'yaml-syntax', message, file, line: 1, column: 1, path: '' };
    return { ok: false, error: new ScenarioSpecError([issue], { cause: error }) };
  }
  const parsed = schemaFor(options.vocabulary).safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((zodIssue) => toSpecIssues(zodIssue, [], issue, raw));
    return { ok: false, error: new ScenarioSpecError(dedupe(issues), { cause: parsed.error }) };
  }

  const templateIssues = templateIssuesOf(raw, issue);
  const payloadIssues = [...templateIssues, ...checkPublishPayloads(parsed.data, options, issue)];
  if (payloadIssues.length > 0) return { ok: false, error: new ScenarioSpecError(payloadIssues) };
  return { ok: true, scenario: { file, spec: parsed.data } };
}

/** Reads, parses and validates one spec file; throws a `ScenarioSpecError` naming file, line and path. */
export async function loadScenarioFile(file: string, options: LoadScenarioOptions): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ScenarioSpecError(
      [
        {
          code: 'unreadable-file',
          message: `cannot read the file: ${(cause as Error).message}`,
          file,
          line: 1,
          column: 1,
          path: '',
        },
      ],
      { cause },
    );
  }
  const result = parseScenario(text, file, options);
  if (!result.ok) throw result.error;
  return result.scenario;
}

type IssueFactory = (
  code: ScenarioSpecIssueCode,
  message: string,
  path: readonly PropertyKey[],
  atKey?: boolean,
) => ScenarioSpecIssue;

/** Turns one zod issue into located spec issues; unions are resolved to the branch the author meant. */
function toSpecIssues(
  zodIssue: z.core.$ZodIssue,
  prefix: readonly PropertyKey[],
  issue: IssueFactory,
  raw: unknown,
): ScenarioSpecIssue[] {
  const path = [...prefix, ...zodIssue.path];
  switch (zodIssue.code) {
    case 'unrecognized_keys':
      return zodIssue.keys.map((key) =>
        issue('unknown-field', `unknown field "${key}"`, [...path, key], true),
      );
    case 'invalid_union': {
      const branch = pickUnionBranch(zodIssue.errors);
      if (branch) return branch.flatMap((inner) => toSpecIssues(inner, path, issue, raw));
      const expected = zodIssue.errors
        .map((errors) =>
          errors.find(
            (inner) =>
              inner.path.length === 1 &&
              (inner.code === 'invalid_type' || inner.code === 'invalid_union') &&
              valueAt(raw, [...path, ...inner.path]) === undefined,
          ),
        )
        .map((inner) => inner?.path[0])
        .filter((key) => key !== undefined)
        .map(String);
      const value = valueAt(raw, path);
      const got =
        value && typeof value === 'object' && !Array.isArray(value)
          ? `got ${Object.keys(value)
              .map((key) => `"${key}"`)
              .join(', ')}`
          : `got ${JSON.stringify(value)}`;
      return [
        issue(
          expected.length > 0 ? 'unknown-field' : 'invalid-value',
          expected.length > 0
            ? `expected exactly one of ${expected.map((key) => `"${key}"`).join(', ')} (${got})`
            : zodIssue.message,
          path,
        ),
      ];
    }
    case 'invalid_type':
      if (valueAt(raw, path) === undefined) {
        return [issue('missing-field', `missing required field (${zodIssue.expected})`, path)];
      }
      return [issue('invalid-value', zodIssue.message, path)];
    case 'custom': {
      const params = zodIssue.params as { troupeCode?: ScenarioSpecIssueCode } | undefined;
      const code = params?.troupeCode ?? 'invalid-value';
      return [issue(code, zodIssue.message, path)];
    }
    case 'invalid_key': {
      // A bad record key (a malformed name, say): point at the key itself, not its value.
      const key = JSON.stringify(path[path.length - 1]);
      return zodIssue.issues.map((inner) =>
        issue('invalid-value', `key ${key}: ${inner.message}`, path, true),
      );
    }
    default:
      return [issue('invalid-value', zodIssue.message, path)];
  }
}

/**
 * The branch of a union the author meant: the one that did not reject the object's own keys (for
 * `{ publish: … }` that is the publish branch). Undefined when no branch fits.
 */
function pickUnionBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
): readonly z.core.$ZodIssue[] | undefined {
  return branches.find((issues) =>
    issues.every(
      (inner) =>
        inner.path.length > 1 ||
        (inner.path.length === 1 && !(inner.code === 'invalid_type' && inner.message.includes('undefined'))),
    ),
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function dedupe(issues: readonly ScenarioSpecIssue[]): ScenarioSpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((entry) => {
    const key = `${entry.line}:${entry.column}:${entry.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Placeholders the runner could not fill (`{{flow.kye}}`), found before anything runs. */
function templateIssuesOf(raw: unknown, issue: IssueFactory): ScenarioSpecIssue[] {
  const record = (raw ?? {}) as Record<string, unknown>;
  const then = (record['then'] ?? {}) as Record<string, unknown>;
  return [
    ...findPlaceholders(record['given'], ['given']),
    ...findPlaceholders(record['when'], ['when']),
    ...findPlaceholders(then['probes'], ['then', 'probes']),
  ].flatMap(({ expression, path }) => {
    const problem = templateProblem(expression);
    return problem === undefined ? [] : [issue('invalid-value', problem, path)];
  });
}

/** Checks `publish` payloads against the target's event schemas, placeholders filled with sample ids. */
function checkPublishPayloads(
  spec: ScenarioSpec,
  options: LoadScenarioOptions,
  issue: IssueFactory,
): ScenarioSpecIssue[] {
  if (!options.payloadSchema) return [];
  const issues: ScenarioSpecIssue[] = [];
  (['given', 'when'] as const).forEach((section) =>
    spec[section].forEach((step, index) => {
      if (step.kind !== 'publish' || step.event === undefined || step.payload === undefined) return;
      const schema = options.payloadSchema?.(step.event);
      if (!schema) return;
      const sample = fillPlaceholders(step.payload, () => '00000000-0000-7000-8000-000000000000');
      const result = schema.safeParse(sample);
      if (result.success) return;
      for (const inner of result.error.issues) {
        const path = [section, index, 'publish', 'payload', ...inner.path];
        issues.push(issue('invalid-payload', `${step.event} payload: ${inner.message}`, path));
      }
    }),
  );
  return issues;
}
