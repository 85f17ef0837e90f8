import type { BrokerConfig } from './broker-config';
import { explainBrokerFailure, formatBrokerHint } from './explain-broker-failure';
import { runPactBroker } from './pact-broker-cli';

/** The broker's answer for one pacticipant. */
export interface DeployVerdict {
  readonly pacticipant: string;
  readonly version: string;
  /** `yes`, `no`, or `error` when the broker could not answer. */
  readonly verdict: 'yes' | 'no' | 'error';
  /** The broker's reason, or the error and what it means. */
  readonly reason: string;
}

/** Options of `canIDeployAll`. */
export interface CanIDeployAllOptions {
  readonly broker: BrokerConfig;
  readonly pacticipants: readonly string[];
  readonly version: string;
  readonly environment: string;
  /** Poll this many times (10 s apart) while verification results are missing. */
  readonly retryWhileUnknown?: number;
}

/**
 * Asks can-i-deploy for every pacticipant — a "no" or a broker error for one does not stop the others — so one
 * table shows everything that blocks the deployment.
 */
export async function canIDeployAll(options: CanIDeployAllOptions): Promise<DeployVerdict[]> {
  return Promise.all(
    options.pacticipants.map(async (pacticipant): Promise<DeployVerdict> => {
      const result = await runPactBroker(options.broker, [
        'can-i-deploy',
        '--pacticipant',
        pacticipant,
        '--version',
        options.version,
        '--to-environment',
        options.environment,
        '--output',
        'json',
        ...(options.retryWhileUnknown
          ? ['--retry-while-unknown', String(options.retryWhileUnknown), '--retry-interval', '10']
          : []),
      ]);
      const base = { pacticipant, version: options.version };
      const summary = matrixSummary(result.output);
      if (summary) {
        const deployable = summary.deployable === true && result.ok;
        return { ...base, verdict: deployable ? 'yes' : 'no', reason: summary.reason ?? '' };
      }
      // JSON without a summary is the broker's own answer, printed as it is: not a Pact Broker matrix.
      const error = isJson(result.output)
        ? 'the answer has no matrix summary (missing field `summary`)'
        : firstLine(result.output) || `pact-broker exited ${result.exitCode}`;
      const hint = explainBrokerFailure(isJson(result.output) ? error : result.output);
      return { ...base, verdict: 'error', reason: hint ? `${error} — ${formatBrokerHint(hint)}` : error };
    }),
  );
}

/** One table: pacticipant, version, can deploy, reason (the reason wraps to the terminal, never truncated). */
export function formatDeployTable(verdicts: readonly DeployVerdict[], environment: string): string {
  const header = ['pacticipant', 'version', `to ${environment}`, 'reason'] as const;
  const rows = verdicts.map((v) => [v.pacticipant, shortVersion(v.version), v.verdict, v.reason] as const);
  const width = (column: 0 | 1 | 2): number =>
    Math.max(header[column].length, ...rows.map((row) => row[column].length));
  const line = (cells: readonly [string, string, string, string]): string =>
    `${cells[0].padEnd(width(0))}  ${cells[1].padEnd(width(1))}  ${cells[2].padEnd(width(2))}  ${cells[3]}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function matrixSummary(output: string): { deployable?: unknown; reason?: string } | undefined {
  const start = output.indexOf('{');
  const end = output.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const parsed = JSON.parse(output.slice(start, end + 1)) as { summary?: unknown };
    const summary = parsed.summary;
    if (typeof summary !== 'object' || summary === null) return undefined;
    const { deployable, reason } = summary as { deployable?: unknown; reason?: unknown };
    return { deployable, ...(typeof reason === 'string' ? { reason } : {}) };
  } catch {
    return undefined;
  }
}

function isJson(output: string): boolean {
  try {
    JSON.parse(output);
    return true;
  } catch {
    return false;
  }
}

function firstLine(output: string): string {
  return (
    output
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}

function shortVersion(version: string): string {
  return /^[0-9a-f]{40}$/.test(version) ? version.slice(0, 12) : version;
}
