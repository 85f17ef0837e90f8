import { execFileSync } from 'node:child_process';
import { envValue } from './env-value';

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
  const value = (name: string): string | undefined => envValue(env, name);
  const version =
    value('PACT_VERSION') ?? value('GITHUB_SHA') ?? value('CI_COMMIT_SHA') ?? git(['rev-parse', 'HEAD'], cwd);
  const branch =
    value('PACT_BRANCH') ??
    value('GITHUB_HEAD_REF') ??
    value('GITHUB_REF_NAME') ??
    value('CI_COMMIT_REF_NAME') ??
    git(['rev-parse', '--abbrev-ref', 'HEAD'], cwd);
  const server = value('GITHUB_SERVER_URL');
  const repository = value('GITHUB_REPOSITORY');
  const runId = value('GITHUB_RUN_ID');
  const buildUrl =
    value('PACT_BUILD_URL') ??
    (server && repository && runId
      ? `${server}/${repository}/actions/runs/${runId}`
      : (value('CI_JOB_URL') ?? value('BUILD_URL')));
  return { version, branch, ...(buildUrl ? { buildUrl } : {}) };
}

function git(args: readonly string[], cwd: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
