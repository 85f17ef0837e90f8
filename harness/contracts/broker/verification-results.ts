import { ContractError } from '../contract-error';
import type { BrokerClient } from './broker-client';
import type { CiContext } from './ci-context';

/** One interaction's result, as it is sent to the broker. */
export interface InteractionResult {
  readonly description: string;
  readonly success: boolean;
  readonly mismatches: readonly { readonly path: string; readonly message: string }[];
}

/** A verification result that could not be recorded in the broker, and why. */
export interface PublicationFailure {
  readonly pactUrl: string;
  readonly consumer: string;
  /** The broker's or Troupe's own error (code `broker-feature-missing` or `broker-request-failed`). */
  readonly error: ContractError;
}

/**
 * Records the verification result of one pact: first the provider version on its branch (`pb:branch-version` of
 * the provider), then the result (`pb:publish-verification-results` of the pact). Throws a `ContractError` naming
 * the missing relation or the failed request — the verifier only logs such failures, and CI went green.
 */
export async function publishVerificationResult(
  client: BrokerClient,
  options: {
    readonly pactUrl: string;
    readonly ci: CiContext;
    readonly success: boolean;
    readonly results: readonly InteractionResult[];
  },
): Promise<void> {
  const { ci } = options;
  const pact = await client.get(options.pactUrl);
  const resultsUrl = client.follow(pact, 'pb:publish-verification-results', `the pact ${options.pactUrl}`);
  const providerUrl = client.follow(pact, 'pb:provider', `the pact ${options.pactUrl}`);
  const provider = await client.get(providerUrl);
  const branchVersion = client.follow(provider, 'pb:branch-version', `the provider ${providerUrl}`, {
    branch: ci.branch,
    version: ci.version,
  });
  await client.put(branchVersion, {});
  await client.post(resultsUrl, {
    success: options.success,
    providerApplicationVersion: ci.version,
    ...(ci.buildUrl ? { buildUrl: ci.buildUrl } : {}),
    testResults: options.results.map((result) => ({
      interactionDescription: result.description,
      success: result.success,
      ...(result.mismatches.length > 0
        ? {
            mismatches: result.mismatches.map((mismatch) => ({
              attribute: mismatch.path,
              description: mismatch.message,
            })),
          }
        : {}),
    })),
    verifiedBy: { implementation: 'troupe' },
  });
}

/** Wraps anything thrown while publishing into a `PublicationFailure`. */
export function publicationFailure(pactUrl: string, consumer: string, error: unknown): PublicationFailure {
  return {
    pactUrl,
    consumer,
    error:
      error instanceof ContractError
        ? error
        : new ContractError('broker-request-failed', `publishing the result of ${pactUrl} failed`, {
            cause: error,
          }),
  };
}
