import { createRequire } from 'node:module';

/** Why an optional dependency could not be used. */
export type OptionalDependencyErrorCode = 'missing-optional-dependency';

/**
 * A heavy part of Troupe (Pact, Testcontainers, PGlite, the AsyncAPI parser) was used but its package is not
 * installed. They are optional peer dependencies so that a team that needs only the tap and the assertions
 * installs a small package; the message names the package and the command that installs it.
 */
export class OptionalDependencyError extends Error {
  override readonly name = 'OptionalDependencyError';
  readonly code: OptionalDependencyErrorCode = 'missing-optional-dependency';

  constructor(
    /** The npm package to install. */
    readonly packageName: string,
    /** What needed it, e.g. "provider verification". */
    readonly purpose: string,
    options: { readonly cause: unknown },
  ) {
    super(
      `${purpose} needs the optional package ${packageName}, which is not installed: ` +
        `run \`npm install --save-dev ${packageName}\``,
      options,
    );
  }
}

/**
 * Loads an optional dependency on first use. `load` is a thunk around a literal `import('package')`, so that
 * TypeScript types the module and bundlers keep it external; only "this package is missing" becomes an
 * `OptionalDependencyError`, any other failure (a broken install, an error while the module initialises) is
 * rethrown as it is.
 */
export async function importOptional<Module>(
  packageName: string,
  purpose: string,
  load: () => Promise<Module>,
): Promise<Module> {
  try {
    return await load();
  } catch (error) {
    if (isMissing(error, packageName))
      throw new OptionalDependencyError(packageName, purpose, { cause: error });
    throw error;
  }
}

/** `require.resolve(specifier)` for a file of an optional dependency, with the same error when it is missing. */
export function resolveOptional(packageName: string, purpose: string, specifier: string): string {
  try {
    return createRequire(__filename).resolve(specifier);
  } catch (error) {
    if (isMissing(error, packageName))
      throw new OptionalDependencyError(packageName, purpose, { cause: error });
    throw error;
  }
}

/** Node's "cannot find" errors (CommonJS and ESM) that name the package itself, not one of its own imports. */
function isMissing(error: unknown, packageName: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return false;
  return (
    typeof message === 'string' &&
    (message.includes(`'${packageName}'`) || message.includes(`'${packageName}/`))
  );
}
