import type { Parser } from '@asyncapi/parser';
import { importOptional } from '../../_internals/optional-dependency';
import type { AsyncApiDocument } from './generate-asyncapi';

/** One problem the AsyncAPI parser found. */
export interface AsyncApiProblem {
  readonly severity: 'error' | 'warning' | 'info' | 'hint';
  readonly path: string;
  readonly message: string;
}

// One parser per process: building it (rulesets) costs more than a parse.
let parser: Parser | undefined;

/** Validates a document with the official @asyncapi/parser; `valid` when it reports no error. */
export async function validateAsyncApi(
  document: AsyncApiDocument | string,
): Promise<{ readonly valid: boolean; readonly problems: readonly AsyncApiProblem[] }> {
  if (parser === undefined) {
    const { Parser } = await importOptional(
      '@asyncapi/parser',
      'AsyncAPI validation',
      () => import('@asyncapi/parser'),
    );
    parser = new Parser();
  }
  const input = typeof document === 'string' ? document : JSON.stringify(document);
  const { document: parsed, diagnostics } = await parser.parse(input);
  const severities = ['error', 'warning', 'info', 'hint'] as const;
  const problems = diagnostics.map((diagnostic) => ({
    severity: severities[diagnostic.severity] ?? 'error',
    path: diagnostic.path.join('.'),
    message: diagnostic.message,
  }));
  return {
    valid: parsed !== undefined && !problems.some((problem) => problem.severity === 'error'),
    problems,
  };
}
