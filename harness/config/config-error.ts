/** Why a manifest was refused. Stable codes, like zod issues. */
export type ConfigErrorCode =
  /** No `troupe.config.*` in the folder, or the `--config` file does not exist. */
  | 'config-not-found'
  /** The file exists but could not be read or imported (syntax error, a throwing import). */
  | 'config-unreadable'
  /** The manifest does not have the expected shape (see `issues`). */
  | 'invalid-config';

/** One problem in a manifest. */
export interface ConfigIssue {
  /** Path inside the manifest, e.g. `services.payments.ready.timeout`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** The expected shape, in words (`a duration such as "10s"`), when the schema knows it. */
  readonly expected?: string;
}

/** Thrown by `loadConfig` for a missing, unreadable or invalid manifest; nothing starts. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly file: string | undefined;
  readonly issues: readonly ConfigIssue[];
  constructor(
    code: ConfigErrorCode,
    message: string,
    details: { file?: string; issues?: readonly ConfigIssue[]; cause?: unknown } = {},
  ) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'ConfigError';
    this.code = code;
    this.file = details.file;
    this.issues = details.issues ?? [];
  }
}

/** `file  path: message (expected …) [invalid-config]`, one line per issue. */
export function formatConfigIssues(file: string, issues: readonly ConfigIssue[]): string {
  return issues
    .map(
      (issue) =>
        `${file}  ${issue.path || '(manifest)'}: ${issue.message}` +
        `${issue.expected ? ` (expected ${issue.expected})` : ''} [invalid-config]`,
    )
    .join('\n');
}
