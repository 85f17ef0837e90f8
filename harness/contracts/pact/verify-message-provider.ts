import type { MessageDescriptor } from '@pact-foundation/pact';
import { importOptional } from '../../_internals/optional-dependency';
import type { BrokerConfig } from '../broker/broker-config';
import type { CiContext } from '../broker/ci-context';
import { BrokerClient } from '../broker/broker-client';
import { pactsForVerification, type PactToVerify } from '../broker/pacts-for-verification';
import {
  publicationFailure,
  publishVerificationResult,
  type PublicationFailure,
} from '../broker/verification-results';
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
      /** Publish the verification result (with git sha + branch). Default: true. */
      readonly publish?: boolean;
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
  /** One producer per interaction description (or `providerBaseUrl`). */
  readonly messageProviders?: Readonly<Record<string, MessageProducer>>;
  /**
   * A producer's own Pact HTTP message-provider endpoint (it answers `POST {description, providerStates}` with the
   * message and a `Pact-Message-Metadata` header), instead of `messageProviders`.
   */
  readonly providerBaseUrl?: string;
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

/** Whether the verification results reached the broker (only when they were to be published). */
export interface PublicationReport {
  /** Pacts whose result the broker recorded. */
  readonly published: number;
  readonly failures: readonly PublicationFailure[];
}

/** The result of a provider verification, as the pact verifier reported it. */
export interface VerificationReport {
  readonly provider: string;
  /** Every non-pending interaction verified (publication is judged separately, see `publication`). */
  readonly ok: boolean;
  readonly interactions: readonly InteractionVerdict[];
  /** Present when results were to be published to a broker. */
  readonly publication?: PublicationReport;
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
 *
 * With a broker, Troupe asks for the pacts to verify itself, verifies each, and publishes each result itself: the
 * verifier only logs a failed publication, and a CI run whose results never reached the broker went green.
 */
export async function verifyMessageProvider(
  options: MessageVerificationOptions,
): Promise<VerificationReport> {
  process.env['PACT_DO_NOT_TRACK'] = 'true';
  process.env['SCARF_ANALYTICS'] = 'false';
  const { source } = options;
  if (source.kind === 'files') {
    return runVerifier(options, { pactUrls: [...source.pactUrls] }, false);
  }
  const client = new BrokerClient(source.broker);
  const pacts: readonly PactToVerify[] =
    source.kind === 'url'
      ? [{ url: source.pactUrl, consumer: '', pending: false, why: 'pact URL' }]
      : await pactsForVerification(client, {
          provider: options.provider,
          consumerVersionSelectors: consumerVersionSelectors.map((selector) => ({ ...selector })),
          providerVersionBranch: source.ci.branch,
          includeWipPactsSince: source.includeWipPactsSince ?? '2026-01-01',
        });
  const publish = source.publish ?? true;
  const interactions: InteractionVerdict[] = [];
  const failures: PublicationFailure[] = [];
  let ok = true;
  let published = 0;
  for (const pact of pacts) {
    const report = await runVerifier(
      options,
      { pactUrls: [pact.url], ...credentials(source.broker) },
      pact.pending,
    );
    interactions.push(...report.interactions);
    if (!report.ok && !pact.pending) ok = false;
    if (!publish) continue;
    try {
      await publishVerificationResult(client, {
        pactUrl: pact.url,
        ci: source.ci,
        success: report.ok,
        results: report.interactions.map((interaction) => ({
          description: interaction.description,
          success: interaction.ok,
          mismatches: interaction.mismatches,
        })),
      });
      published += 1;
    } catch (error) {
      failures.push(publicationFailure(pact.url, report.interactions[0]?.consumer ?? pact.consumer, error));
    }
  }
  return {
    provider: options.provider,
    ok,
    interactions,
    ...(publish ? { publication: { published, failures } } : {}),
  };
}

/**
 * Throws a `verification-failed` error naming every failing interaction and field, or `results-not-published`
 * naming each result the broker did not record and why; the report is the cause.
 */
export function assertProviderVerified(report: VerificationReport): void {
  if (!report.ok) {
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
  const unpublished = report.publication?.failures ?? [];
  if (unpublished.length > 0) {
    throw new ContractError(
      'results-not-published',
      `Provider ${report.provider} verified, but ${unpublished.length} result(s) did not reach the broker:\n` +
        unpublished.map((failure) => `  ${failure.consumer}: ${failure.error.message}`).join('\n'),
      { cause: report },
    );
  }
}

/** Runs the FFI verifier once over `sourceOptions`; interactions are marked pending when `pending`. */
async function runVerifier(
  options: MessageVerificationOptions,
  sourceOptions: Record<string, unknown>,
  pending: boolean,
): Promise<VerificationReport> {
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
    ...(options.messageProviders ? { messageProviders: options.messageProviders } : {}),
    ...(options.providerBaseUrl ? { providerBaseUrl: options.providerBaseUrl } : {}),
    stateHandlers,
    ...sourceOptions,
  });
  let raw: unknown;
  let rejection: unknown;
  // pact-core falls back to these variables: a second broker source, or its own (unchecked) publication.
  const hidden = hideEnv(['PACT_BROKER_BASE_URL', 'PACT_BROKER_PUBLISH_VERIFICATION_RESULTS']);
  try {
    raw = await verifier.verifyProvider();
  } catch (error) {
    // A failed verification also rejects, with the JSON results as its message; anything else could not run.
    rejection = error;
    raw = error instanceof Error ? error.message : error;
  } finally {
    hidden.restore();
  }
  return parseReport(options.provider, raw, rejection, pending);
}

function hideEnv(names: readonly string[]): { restore(): void } {
  const saved = names.map((name) => [name, process.env[name]] as const);
  for (const name of names) delete process.env[name];
  return {
    restore: () => {
      for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
    },
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

function parseReport(
  provider: string,
  raw: unknown,
  rejection: unknown,
  pending: boolean,
): VerificationReport {
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
      pending: pending || (result.pending ?? false),
      mismatches,
    };
  });
  return { provider, ok: parsed.result === true, interactions };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
