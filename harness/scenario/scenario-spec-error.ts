/** Why a scenario spec was refused. Stable codes, like zod issues. */
export type ScenarioSpecIssueCode =
  /** The file could not be read. */
  | 'unreadable-file'
  /** The text is not valid YAML. */
  | 'yaml-syntax'
  /** A field the spec format does not have (usually a typo). */
  | 'unknown-field'
  /** A required field is missing. */
  | 'missing-field'
  /** A value of the wrong type or shape, a bad duration, an unknown event type or service. */
  | 'invalid-value'
  /** A name (a flow, or one of the target's own) that is used but never declared. */
  | 'unknown-reference'
  /** An event payload under `when.publish` that the event catalog rejects. */
  | 'invalid-payload'
  /** A fault the target cannot apply (e.g. message faults without the chaos proxy). */
  | 'unsupported-fault';

/** One problem in a spec, located in its file. */
export interface ScenarioSpecIssue {
  readonly code: ScenarioSpecIssueCode;
  readonly message: string;
  readonly file: string;
  /** 1-based line and column of the offending node (of its nearest existing parent when it is missing). */
  readonly line: number;
  readonly column: number;
  /** Path inside the spec, e.g. `then.flows.*.chain[2]`; empty for the whole document. */
  readonly path: string;
  /** The source line, for the code frame. */
  readonly sourceLine?: string;
}

/** Thrown by `loadScenarioFile` / `parseScenario` (and returned in `{ ok: false }` results) for a bad spec. */
export class ScenarioSpecError extends Error {
  readonly code = 'invalid-scenario-spec';
  readonly issues: readonly ScenarioSpecIssue[];
  constructor(issues: readonly ScenarioSpecIssue[], options?: { cause?: unknown }) {
    super(formatScenarioSpecIssues(issues), options);
    this.name = 'ScenarioSpecError';
    this.issues = issues;
  }
}

/**
 * Formats issues the way compilers do: `file:line:column  path: message`, then the source line with a caret,
 * so editors and terminals can jump to the spot.
 */
export function formatScenarioSpecIssues(issues: readonly ScenarioSpecIssue[]): string {
  return issues
    .map((issue) => {
      const where = `${issue.file}:${issue.line}:${issue.column}`;
      const head = `${where}  ${issue.path ? `${issue.path}: ` : ''}${issue.message} [${issue.code}]`;
      if (issue.sourceLine === undefined) return head;
      const gutter = `${issue.line} | `;
      const caret = `${' '.repeat(gutter.length + Math.max(0, issue.column - 1))}^`;
      return `${head}\n    ${gutter}${issue.sourceLine}\n    ${caret}`;
    })
    .join('\n');
}
