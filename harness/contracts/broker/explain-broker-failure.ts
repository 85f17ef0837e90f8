/**
 * What a broker failure means for the user: which relation or feature the broker lacks, what that breaks, and
 * what to do. The pact-broker CLI and the verifier only say what they could not parse or follow.
 */
export interface BrokerFailureHint {
  /** The missing relation or feature (`pb:branch-version`, `pacticipant version format`…). */
  readonly missing: string;
  /** What it means for the user and what to do, in one or two sentences. */
  readonly meaning: string;
}

interface KnownFailure {
  readonly pattern: RegExp;
  readonly hint: (match: RegExpExecArray) => BrokerFailureHint;
}

const known: readonly KnownFailure[] = [
  {
    pattern: /pb:branch-version/,
    hint: () => ({
      missing: "relation 'pb:branch-version' (branches, Pact Broker 2.82+)",
      meaning:
        'the broker does not support branches, so the provider version and its verification results cannot be ' +
        'recorded with their branch: can-i-deploy has nothing to decide on for this provider. Upgrade the broker ' +
        'to one with branch support, or verify with --no-publish and do not gate deployments on it.',
    }),
  },
  {
    pattern: /pb:record-deployment/,
    hint: () => ({
      missing: "relation 'pb:record-deployment' (deployments and environments, Pact Broker 2.80+)",
      meaning:
        'the broker cannot record deployments: nothing is recorded as deployed, so can-i-deploy --to-environment ' +
        'compares against an empty environment. Check the environment exists (pact-broker create-environment), or ' +
        'upgrade the broker to one with environments.',
    }),
  },
  {
    pattern: /pb:publish-contracts/,
    hint: () => ({
      missing: "relation 'pb:publish-contracts' (the contracts publish API, Pact Broker 2.86+)",
      meaning:
        'no pact was published: the broker only has the classic API (PUT /pacts/provider/{provider}/consumer/' +
        '{consumer}/version/{version}). Upgrade the broker; until then providers verify stale or no pacts.',
    }),
  },
  {
    pattern: /pb:publish-verification-results/,
    hint: () => ({
      missing: "relation 'pb:publish-verification-results' on the pact",
      meaning:
        'the broker offers no place to record the verification result of this pact: can-i-deploy will report ' +
        'it as unverified. The pact probably came from a URL that is not a broker pact resource.',
    }),
  },
  {
    pattern: /invalid type: (?:string|map|sequence|integer|null)[^\n]*?, expected struct (\w+)/,
    hint: (match) => {
      const what = /version/i.test(match[1] ?? '') ? 'pacticipant version' : (match[1] ?? 'resource');
      return {
        missing: `a ${what} resource in the Pact Broker format`,
        meaning:
          `the broker answered with something the pact-broker CLI cannot read as a ${what} (${match[1] ?? '?'}): ` +
          'the version may not exist there yet (publish pacts or results for it first), or the server is not ' +
          'fully compatible with the Pact Broker API. Nothing was recorded or decided.',
      };
    },
  },
  {
    pattern: /(?:Could not find relation|missing field|no) ['`]?(pb:[a-z-]+)['`]?/,
    hint: (match) => ({
      missing: `relation '${match[1] ?? 'pb:?'}'`,
      meaning:
        'the broker does not offer this relation, so this step was not done; it is probably older than the ' +
        'Pact Broker features Troupe uses (branches, environments, the contracts publish API).',
    }),
  },
  {
    pattern: /missing field `(\w+)`/,
    hint: (match) => ({
      missing: `the field '${match[1] ?? '?'}' in its answer`,
      meaning:
        'the server answered, but not in the Pact Broker format: it is not fully compatible with the Pact Broker ' +
        'API for this command, so nothing was decided.',
    }),
  },
];

/** The hint for a broker failure, from the CLI's or the verifier's own text, or undefined when unknown. */
export function explainBrokerFailure(text: string): BrokerFailureHint | undefined {
  for (const failure of known) {
    const match = failure.pattern.exec(text);
    if (match) return failure.hint(match);
  }
  return undefined;
}

/** `the broker lacks <missing>: <meaning>`, for a log line. */
export function formatBrokerHint(hint: BrokerFailureHint): string {
  return `the broker lacks ${hint.missing}: ${hint.meaning}`;
}
