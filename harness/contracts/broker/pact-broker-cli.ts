import { spawn } from 'node:child_process';
import { resolveOptional } from '../../_internals/optional-dependency';
import { describeBroker, type BrokerConfig } from './broker-config';
import type { CiContext } from './ci-context';

/** What a pact-broker CLI call did: its exit code and output (secrets masked), and the command line (no secrets). */
export interface BrokerCommandResult {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly command: string;
  readonly output: string;
}

/**
 * Runs the pact-broker CLI of @pact-foundation/pact-cli (its standalone binary ships in the npm package, no
 * download). Credentials go through the environment only — never on the command line, where `ps` would show
 * them — and are masked in the returned output.
 */
export async function runPactBroker(
  broker: BrokerConfig,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<BrokerCommandResult> {
  const script = resolveOptional(
    '@pact-foundation/pact-cli',
    'the pact-broker CLI',
    '@pact-foundation/pact-cli/bin/pact-broker.js',
  );
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    PACT_DO_NOT_TRACK: 'true',
    SCARF_ANALYTICS: 'false',
    PACT_BROKER_BASE_URL: broker.baseUrl,
  };
  delete childEnv['PACT_BROKER_TOKEN'];
  delete childEnv['PACT_BROKER_USERNAME'];
  delete childEnv['PACT_BROKER_PASSWORD'];
  if (broker.token) childEnv['PACT_BROKER_TOKEN'] = broker.token;
  if (broker.username) childEnv['PACT_BROKER_USERNAME'] = broker.username;
  if (broker.password) childEnv['PACT_BROKER_PASSWORD'] = broker.password;
  const secrets = [broker.token, broker.password].filter((secret): secret is string => Boolean(secret));
  const { exitCode, output } = await new Promise<{ exitCode: number; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? 1, output: text }));
  });
  return {
    ok: exitCode === 0,
    exitCode,
    command: `pact-broker ${args.join(' ')} (broker ${describeBroker(broker)})`,
    output: secrets.reduce((masked, secret) => masked.split(secret).join('***'), output),
  };
}

/** Publishes every pact in `pactDir`: version = git sha, branch = git branch, build URL from the CI. */
export function publishPacts(options: {
  readonly broker: BrokerConfig;
  readonly ci: CiContext;
  readonly pactDir: string;
}): Promise<BrokerCommandResult> {
  const { ci } = options;
  return runPactBroker(options.broker, [
    'publish',
    options.pactDir,
    '--consumer-app-version',
    ci.version,
    '--branch',
    ci.branch,
    ...(ci.buildUrl ? ['--build-url', ci.buildUrl] : []),
  ]);
}

/** Asks the broker whether `pacticipant` at `version` can be deployed to `environment`. */
export function canIDeploy(options: {
  readonly broker: BrokerConfig;
  readonly pacticipant: string;
  readonly version: string;
  readonly environment: string;
  /** Poll while verification results are still missing (seconds between polls: 10). */
  readonly retryWhileUnknown?: number;
}): Promise<BrokerCommandResult> {
  return runPactBroker(options.broker, [
    'can-i-deploy',
    '--pacticipant',
    options.pacticipant,
    '--version',
    options.version,
    '--to-environment',
    options.environment,
    ...(options.retryWhileUnknown
      ? ['--retry-while-unknown', String(options.retryWhileUnknown), '--retry-interval', '10']
      : []),
  ]);
}

/** Records that `pacticipant` at `version` is now deployed to `environment`. */
export function recordDeployment(options: {
  readonly broker: BrokerConfig;
  readonly pacticipant: string;
  readonly version: string;
  readonly environment: string;
}): Promise<BrokerCommandResult> {
  return runPactBroker(options.broker, [
    'record-deployment',
    '--pacticipant',
    options.pacticipant,
    '--version',
    options.version,
    '--environment',
    options.environment,
  ]);
}
