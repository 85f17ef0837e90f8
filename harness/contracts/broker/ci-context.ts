import { execFileSync } from 'node:child_process';

/** Where a pact or a verification result comes from: the version is the git sha, the branch the git branch. */
export interface CiContext {
  readonly version: string;
  readonly branch: string;
  /** Link to the CI run, when the CI environment tells us. */
  readonly buildUrl?: string;
}

/**
 * Reads version/branch/build URL from the environment first (CI checkouts are often detached), then git.
 * `PACT_VERSION` / `PACT_BRANCH` / `PACT_BUILD_URL` override everything.
 */
export function ciContext(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): CiContext {
  const version =
    env['PACT_VERSION'] ?? env['GITHUB_SHA'] ?? env['CI_COMMIT_SHA'] ?? git(['rev-parse', 'HEAD'], cwd);
  const branch =
    env['PACT_BRANCH'] ??
    nonEmpty(env['GITHUB_HEAD_REF']) ??
    env['GITHUB_REF_NAME'] ??
    env['CI_COMMIT_REF_NAME'] ??
    git(['rev-parse', '--abbrev-ref', 'HEAD'], cwd);
  const buildUrl =
    env['PACT_BUILD_URL'] ??
    (env['GITHUB_SERVER_URL'] && env['GITHUB_REPOSITORY'] && env['GITHUB_RUN_ID']
      ? `${env['GITHUB_SERVER_URL']}/${env['GITHUB_REPOSITORY']}/actions/runs/${env['GITHUB_RUN_ID']}`
      : (env['CI_JOB_URL'] ?? env['BUILD_URL']));
  return { version, branch, ...(buildUrl ? { buildUrl } : {}) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function git(args: readonly string[], cwd: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
