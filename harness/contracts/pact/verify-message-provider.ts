import type { MessageDescriptor } from '@pact-foundation/pact';
import { importOptional } from '../../_internals/optional-dependency';
import type { BrokerConfig } from '../broker/broker-config';
import type { CiContext } from '../broker/ci-context';
import { ContractError } from '../contract-error';

/** Produces the message for one interaction description, by running the provider's real code. */
export type MessageProducer = (descriptor: MessageDescriptor) => Promise<unknown>;

/** Sets up (or tears down) one provider state the consumers named. */
export type StateHandler = (params: Readonly<Record<string, unknown>>) => Promise<void>;

/** Where the pacts come from: local files, or a broker with consumer version selectors. */
export type PactSource =
  | { readonly kind: 'files'; readonly pactUrls: readonly string[] }
  | {
      /** One pact by URL (the broker's "contract requiring verification" webhook), results published back. */
      readonly kind: 'url';
      readonly pactUrl: string;
      readonly broker: BrokerConfig;
      readonly ci: CiContext;
    }
  | {
      readonly kind: 'broker';
      readonly broker: BrokerConfig;
      readonly ci: CiContext;
      /** Publish verification results (with git sha + branch). Default: true. */
      readonly publish?: boolean;
      /** WIP pacts since this date (ISO). Default: 2026-01-01. */
      readonly includeWipPactsSince?: string;
    };

/** Options of `verifyMessageProvider`. */
export interface MessageVerificationOptions {
  readonly provider: string;
  readonly source: PactSource;
  /** One producer per interaction description. */
  readonly messageProviders: Readonly<Record<string, MessageProducer>>;
  readonly stateHandlers?: Readonly<Record<string, StateHandler>>;
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

/** One mismatch: where (JSONPath or metadata key) and what. */
export interface VerificationMismatch {
  readonly path: string;
  readonly message: string;
}

/** The verdict for one interaction. */
export interface InteractionVerdict {
  readonly consumer: string;
  readonly description: string;
  readonly ok: boolean;
  readonly pending: boolean;
  readonly mismatches: readonly VerificationMismatch[];
}

/** The result of a provider verification, as the pact verifier reported it. */
export interface VerificationReport {
  readonly provider: string;
  readonly ok: boolean;
  readonly interactions: readonly InteractionVerdict[];
}

/** The consumer version selectors this project uses against a broker. */
export const consumerVersionSelectors = [
  { mainBranch: true },
  { matchingBranch: true },
  { deployedOrReleased: true },
] as const;

/**
 * Verifies a message provider with the real pact verifier (FFI). Returns a report — it does not throw when the
 * verification fails (see `assertProviderVerified`) — and throws a `ContractError` only when it could not run.
 */
export async function verifyMessageProvider(
  options: MessageVerificationOptions,
): Promise<VerificationReport> {
  process.env['PACT_DO_NOT_TRACK'] = 'true';
  process.env['SCARF_ANALYTICS'] = 'false';
  const stateHandlers: Record<string, (params?: unknown) => Promise<void>> = {};
  for (const [name, handler] of Object.entries(options.stateHandlers ?? {})) {
    stateHandlers[name] = (params?: unknown) => handler(isRecord(params) ? params : {});
  }
  const { Verifier } = await importOptional(
    '@pact-foundation/pact',
    'provider verification',
    () => import('@pact-foundation/pact'),
  );
  const verifier = new Verifier({
    provider: options.provider,
    logLevel: options.logLevel ?? 'error',
    // Passed as is (not spread): a target may answer every description through a Proxy.
    messageProviders: options.messageProviders,
    stateHandlers,
    ...sourceOptions(options.source),
  });
  let raw: unknown;
  let rejection: unknown;
  try {
    raw = await verifier.verifyProvider();
  } catch (error) {
    // A failed verification also rejects, with the JSON results as its message; anything else could not run.
    rejection = error;
    raw = error instanceof Error ? error.message : error;
  }
  return parseReport(options.provider, raw, rejection);
}

/** Throws a `verification-failed` error naming every failing interaction and field, with the report as cause. */
export function assertProviderVerified(report: VerificationReport): void {
  if (report.ok) return;
  const failures = report.interactions
    .filter((interaction) => !interaction.ok && !interaction.pending)
    .map(
      (interaction) =>
        `  ${interaction.consumer} ← "${interaction.description}":\n` +
        interaction.mismatches.map((mismatch) => `    ${mismatch.path}: ${mismatch.message}`).join('\n'),
    );
  throw new ContractError(
    'verification-failed',
    `Provider ${report.provider} does not honour its consumers' pacts:\n${failures.join('\n')}`,
    { cause: report },
  );
}

function sourceOptions(source: PactSource): Record<string, unknown> {
  if (source.kind === 'files') return { pactUrls: [...source.pactUrls] };
  const { broker, ci } = source;
  if (source.kind === 'url') {
    return {
      pactUrls: [source.pactUrl],
      ...credentials(broker),
      publishVerificationResult: true,
      providerVersion: ci.version,
      providerVersionBranch: ci.branch,
      ...(ci.buildUrl ? { buildUrl: ci.buildUrl } : {}),
    };
  }
  return {
    pactBrokerUrl: broker.baseUrl,
    ...credentials(broker),
    consumerVersionSelectors: consumerVersionSelectors.map((selector) => ({ ...selector })),
    enablePending: true,
    includeWipPactsSince: source.includeWipPactsSince ?? '2026-01-01',
    publishVerificationResult: source.publish ?? true,
    providerVersion: ci.version,
    providerVersionBranch: ci.branch,
    ...(ci.buildUrl ? { buildUrl: ci.buildUrl } : {}),
  };
}

function credentials(broker: BrokerConfig): Record<string, string> {
  return {
    ...(broker.token ? { pactBrokerToken: broker.token } : {}),
    ...(broker.username ? { pactBrokerUsername: broker.username } : {}),
    ...(broker.password ? { pactBrokerPassword: broker.password } : {}),
  };
}

interface RawMismatch {
  readonly path?: string;
  readonly key?: string;
  readonly mismatch?: string;
  readonly message?: string;
  readonly type?: string;
}

interface RawInteractionResult {
  readonly consumer?: string;
  readonly description?: string;
  readonly result?: string;
  readonly pending?: boolean;
  readonly mismatch?: { readonly mismatches?: readonly RawMismatch[]; readonly message?: string };
}

function parseReport(provider: string, raw: unknown, rejection: unknown): VerificationReport {
  let parsed: { result?: boolean; interactionResults?: readonly RawInteractionResult[] };
  try {
    parsed = JSON.parse(String(raw)) as typeof parsed;
  } catch (error) {
    // The verifier's own error says why it could not run; the JSON syntax error only that it did not report.
    throw new ContractError(
      'verification-failed',
      `The pact verifier could not run for ${provider}: ${String(raw)}`,
      { cause: rejection ?? error },
    );
  }
  const interactions = (parsed.interactionResults ?? []).map((result): InteractionVerdict => {
    const mismatches = (result.mismatch?.mismatches ?? []).map((mismatch) => ({
      path: mismatch.path ?? mismatch.key ?? mismatch.type ?? '',
      message: mismatch.mismatch ?? mismatch.message ?? JSON.stringify(mismatch),
    }));
    if (result.result !== 'OK' && mismatches.length === 0 && result.mismatch?.message) {
      mismatches.push({ path: '', message: result.mismatch.message });
    }
    return {
      consumer: result.consumer ?? '',
      description: result.description ?? '',
      ok: result.result === 'OK',
      pending: result.pending ?? false,
      mismatches,
    };
  });
  return { provider, ok: parsed.result === true, interactions };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
