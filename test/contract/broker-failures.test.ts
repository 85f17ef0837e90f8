import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ciContext } from '../../harness/contracts/broker/ci-context';
import { ContractError } from '../../harness/contracts/contract-error';
import { verifyProviderTarget } from '../../harness/contracts/pact/message-provider-target';
import { assertProviderVerified } from '../../harness/contracts/pact/verify-message-provider';
import { shopProviderTarget } from './shop/shop-provider';
import { repoRoot } from './support/pact-fixtures';
import { RecordingBroker } from './support/recording-broker';
import { troupeContracts } from './support/run-troupe';

/**
 * What a broker that lacks features does to the contracts workflow. No Pact Broker runs here: a RECORDING HTTP
 * server stands in for one, scripted to answer like the incompatible server of issue 13 did.
 */

const pactDir = path.join(repoRoot, 'pacts');
const token = 'recording-broker-token-do-not-print';
const sha = '0123456789abcdef0123456789abcdef01234567';
const gitBranch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], {
  cwd: repoRoot,
  encoding: 'utf8',
}).trim();

let broker: RecordingBroker;
beforeEach(async () => {
  broker = await RecordingBroker.start();
});
afterEach(() => broker[Symbol.asyncDispose]());

/** Scripts the broker to hand `orders` the committed payments → orders pact; `branches` adds pb:branch-version. */
function servePaymentsPactToOrders(options: {
  readonly branches: boolean;
  /** Serve the pact as pending, with a routing key orders does not use (it fails). */
  readonly pendingAndBroken?: boolean;
}): { resultsPath: string } {
  const forVerification = '/pacts/provider/orders/for-verification';
  const pactPath = '/pacts/provider/orders/consumer/payments/pact-version/p1';
  broker.on((request, base) => {
    if (request.method === 'POST' && request.path === forVerification) {
      return {
        status: 200,
        body: {
          _embedded: {
            pacts: [
              {
                shortDescription: 'latest from main',
                verificationProperties: { pending: options.pendingAndBroken === true, notices: [] },
                _links: { self: { href: `${base}${pactPath}`, name: 'payments' } },
              },
            ],
          },
        },
      };
    }
    if (request.method === 'GET' && request.path === pactPath) {
      const pact = JSON.parse(readFileSync(path.join(pactDir, 'payments-orders.json'), 'utf8')) as {
        interactions: { metadata: Record<string, string> }[];
      };
      if (options.pendingAndBroken) {
        for (const interaction of pact.interactions) interaction.metadata['routingKey'] = 'orders.renamed';
      }
      return {
        status: 200,
        body: {
          ...pact,
          _links: {
            self: { href: `${base}${pactPath}` },
            'pb:provider': { href: `${base}/pacticipants/orders` },
            'pb:publish-verification-results': { href: `${base}${pactPath}/verification-results` },
          },
        },
      };
    }
    if (request.method === 'GET' && request.path === '/pacticipants/orders') {
      const branchVersion = {
        href: `${base}/pacticipants/orders/branches/{branch}/versions/{version}`,
        templated: true,
      };
      return {
        status: 200,
        body: {
          name: 'orders',
          _links: {
            self: { href: `${base}/pacticipants/orders` },
            ...(options.branches ? { 'pb:branch-version': branchVersion } : {}),
          },
        },
      };
    }
    return undefined;
  });
  return { resultsPath: `${pactPath}/verification-results` };
}

const brokerEnv = (): NodeJS.ProcessEnv => ({
  PACT_BROKER_BASE_URL: broker.url,
  PACT_BROKER_TOKEN: token,
  PACT_VERSION: sha,
});

describe('verification results that cannot be published fail the run (recording HTTP server as the broker)', () => {
  it('a broker without pb:branch-version: verified, but the report names the missing relation and what it means', async () => {
    const { resultsPath } = servePaymentsPactToOrders({ branches: false });
    const report = await verifyProviderTarget(shopProviderTarget('orders'), {
      kind: 'broker',
      broker: { baseUrl: broker.url, token },
      ci: { version: sha, branch: 'main' },
    });
    expect(report.ok).toBe(true);
    expect(report.publication?.published).toBe(0);
    const [failure] = report.publication?.failures ?? [];
    expect(failure?.consumer).toBe('payments');
    expect(failure?.error.code).toBe('broker-feature-missing');
    expect(failure?.error.message).toContain("'pb:branch-version'");
    expect(failure?.error.message).toContain('can-i-deploy has nothing to decide on');
    expect(broker.find('POST', resultsPath)).toHaveLength(0);
    let thrown: unknown;
    try {
      assertProviderVerified(report);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContractError);
    expect((thrown as ContractError).code).toBe('results-not-published');
  });

  it('troupe contracts verify: exit 1 saying the results were NOT published; exit 0 with --no-publish; an empty PACT_BRANCH= is unset', async () => {
    servePaymentsPactToOrders({ branches: false });
    const env = { ...brokerEnv(), PACT_BRANCH: '', GITHUB_HEAD_REF: '', GITHUB_REF_NAME: '' };
    const [published, notPublished] = await Promise.all([
      troupeContracts(['verify', '--provider', 'orders'], env),
      troupeContracts(['verify', '--provider', 'orders', '--no-publish'], env),
    ]);
    expect(published.code).toBe(1);
    expect(published.output).toContain('ok   orders → payments: OrderPlaced: an order to charge');
    expect(published.output).toMatch(/NOT PUBLISHED orders → payments: .*'pb:branch-version'/);
    expect(published.output).toContain('1/1 provider(s) verified');
    expect(published.output).toContain('0 result(s) published, 1 NOT published');
    expect(published.output).toContain('1 verification result(s) could not be published');
    expect(published.output).not.toContain(token);
    expect(notPublished.code).toBe(0);
    expect(notPublished.output).toContain('results not published (--no-publish)');
    // PACT_BRANCH= fell back to the git branch instead of sending an empty branch.
    const queries = broker.find('POST', '/pacts/provider/orders/for-verification');
    expect(queries.length).toBe(2);
    for (const query of queries) expect(query.body).toMatchObject({ providerVersionBranch: gitBranch });
  });

  it('a failing pending pact does not fail the verification, and its failed result is still published', async () => {
    const { resultsPath } = servePaymentsPactToOrders({ branches: true, pendingAndBroken: true });
    const report = await verifyProviderTarget(shopProviderTarget('orders'), {
      kind: 'broker',
      broker: { baseUrl: broker.url, token },
      ci: { version: sha, branch: 'main' },
    });
    expect(report.interactions.every((interaction) => !interaction.ok && interaction.pending)).toBe(true);
    expect(report.ok).toBe(true);
    expect(report.publication).toEqual({ published: 1, failures: [] });
    expect(broker.find('POST', resultsPath)[0]?.body).toMatchObject({ success: false });
  });

  it('empty environment values count as unset', () => {
    expect(
      ciContext({ PACT_BRANCH: '', GITHUB_REF_NAME: 'main', PACT_VERSION: ' ', GITHUB_SHA: 'abc' }),
    ).toEqual({
      version: 'abc',
      branch: 'main',
    });
    expect(
      ciContext({ PACT_BUILD_URL: '', CI_JOB_URL: 'https://ci.example/1', PACT_VERSION: 'v' }).buildUrl,
    ).toBe('https://ci.example/1');
  });
});

describe('can-i-deploy asks for every pacticipant and prints one table (recording HTTP server as the broker)', () => {
  it('a "no" and a broker error do not stop the others; exit 1 naming each blocked pacticipant', async () => {
    broker.on((request) => {
      if (!request.path.startsWith('/matrix')) return undefined;
      const query = decodeURIComponent(request.path);
      if (query.includes('pacticipant]=inventory')) return { status: 200, body: { unexpected: true } };
      const deployable = !query.includes('pacticipant]=payments');
      return {
        status: 200,
        body: {
          summary: {
            deployable,
            reason: deployable
              ? 'All required verification results are published and successful'
              : 'missing verification from orders',
            success: deployable ? 1 : 0,
            failed: 0,
            unknown: deployable ? 0 : 1,
          },
          matrix: [],
          notices: [],
        },
      };
    });
    const run = await troupeContracts(
      ['can-i-deploy', '--pacticipant', 'orders', 'payments', 'inventory', 'shipping', '--version', sha],
      brokerEnv(),
    );
    expect(run.code).toBe(1);
    expect(broker.find('GET', '/matrix')).toHaveLength(4);
    const table = run.output
      .split('\n')
      .filter((line) => /^(pacticipant|orders|payments|inventory|shipping) /.test(line));
    expect(table[0]).toMatch(/^pacticipant\s+version\s+to production\s+reason$/);
    expect(table.slice(1).map((line) => line.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'orders 0123456789ab yes',
      'payments 0123456789ab no',
      'inventory 0123456789ab error',
      'shipping 0123456789ab yes',
    ]);
    expect(run.output).toContain('missing verification from orders');
    expect(run.output).toMatch(/inventory .* error .*missing field `summary`.*not in the Pact Broker format/);
    expect(run.output).toContain('cannot deploy to production: payments (no), inventory (error)');
  });
});

describe('broker CLI errors say what the broker lacks and what it means (recording HTTP server as the broker)', () => {
  it('pb:publish-contracts, pb:record-deployment and a version the CLI cannot parse', async () => {
    broker.on((request, base) => {
      if (request.method === 'GET' && request.path === '/') {
        // An index without pb:publish-contracts (a broker older than the contracts publish API).
        return {
          status: 200,
          body: {
            _links: {
              self: { href: `${base}/` },
              'pb:pacticipant-version': {
                href: `${base}/pacticipants/{pacticipant}/versions/{version}`,
                templated: true,
              },
              'pb:environments': { href: `${base}/environments` },
            },
          },
        };
      }
      if (request.method === 'GET' && request.path.startsWith('/environments')) {
        const production = { uuid: 'u1', name: 'production', displayName: 'Production', production: true };
        return {
          status: 200,
          body: {
            _embedded: {
              environments: [{ ...production, _links: { self: { href: `${base}/environments/u1` } } }],
            },
          },
        };
      }
      if (request.method === 'GET' && request.path === `/pacticipants/orders/versions/${sha}`) {
        return { status: 200, body: { number: sha, _links: { self: { href: `${base}${request.path}` } } } };
      }
      if (request.method === 'GET' && request.path === `/pacticipants/payments/versions/${sha}`) {
        return { status: 200, body: sha };
      }
      return undefined;
    });
    const [publish, record] = await Promise.all([
      troupeContracts(['publish'], brokerEnv()),
      troupeContracts(
        ['record-deployment', '--pacticipant', 'orders', 'payments', '--version', sha],
        brokerEnv(),
      ),
    ]);
    expect(publish.code).toBe(1);
    expect(publish.output).toContain("Could not find relation 'pb:publish-contracts'");
    expect(publish.output).toContain("the broker lacks relation 'pb:publish-contracts'");
    expect(publish.output).toContain('no pact was published');
    expect(record.code).toBe(1);
    expect(record.output).toMatch(/NOT RECORDED orders: .*the broker lacks relation 'pb:record-deployment'/);
    expect(record.output).toMatch(
      /NOT RECORDED payments: .*pacticipant version resource in the Pact Broker format/,
    );
    expect(record.output).toContain('deployment to production not recorded for orders, payments');
    expect(publish.output + record.output).not.toContain(token);
  });
});
