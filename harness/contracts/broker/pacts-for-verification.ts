import type { BrokerClient } from './broker-client';

/** One pact the broker wants this provider version to verify. */
export interface PactToVerify {
  readonly url: string;
  /** The consumer, as the broker names the pact. */
  readonly consumer: string;
  /** A failure does not fail the build (pending or WIP pact). */
  readonly pending: boolean;
  /** Why the broker selected it (`latest from main`, `WIP`, …). */
  readonly why: string;
}

/** What to ask the broker for. */
export interface PactsForVerificationQuery {
  readonly provider: string;
  readonly consumerVersionSelectors: readonly Readonly<Record<string, unknown>>[];
  readonly providerVersionBranch?: string;
  /** Include WIP pacts since this ISO date. */
  readonly includeWipPactsSince?: string;
}

/**
 * Asks the broker which pacts this provider version must verify (`pb:provider-pacts-for-verification`), with
 * pending status and WIP pacts. Troupe fetches the list itself, rather than leaving it to the verifier, so that it
 * knows each pact's URL and can publish — and check the publication of — every verification result.
 */
export async function pactsForVerification(
  client: BrokerClient,
  query: PactsForVerificationQuery,
): Promise<PactToVerify[]> {
  const index = await client.index();
  const href = client.follow(index, 'pb:provider-pacts-for-verification', 'the broker index', {
    provider: query.provider,
  });
  const answer = await client.post(href, {
    consumerVersionSelectors: query.consumerVersionSelectors,
    includePendingStatus: true,
    ...(query.includeWipPactsSince ? { includeWipPactsSince: query.includeWipPactsSince } : {}),
    ...(query.providerVersionBranch ? { providerVersionBranch: query.providerVersionBranch } : {}),
  });
  const embedded = answer.body['_embedded'];
  const pacts = isRecord(embedded) && Array.isArray(embedded['pacts']) ? embedded['pacts'] : [];
  return pacts.filter(isRecord).flatMap((pact): PactToVerify[] => {
    const links = isRecord(pact['_links']) ? pact['_links'] : {};
    const self = isRecord(links['self']) ? links['self'] : {};
    const properties = isRecord(pact['verificationProperties']) ? pact['verificationProperties'] : {};
    if (typeof self['href'] !== 'string') return [];
    return [
      {
        url: self['href'],
        consumer: typeof self['name'] === 'string' ? self['name'] : '',
        pending: properties['pending'] === true || properties['wip'] === true,
        why: typeof pact['shortDescription'] === 'string' ? pact['shortDescription'] : '',
      },
    ];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
