import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { BrokerConfig } from '../../harness/contracts/broker/broker-config';
import { canIDeploy, publishPacts, recordDeployment } from '../../harness/contracts/broker/pact-broker-cli';
import { verifyProviderTarget } from '../../harness/contracts/pact/message-provider-target';
import { normalizePact } from '../../harness/contracts/pact/normalize-pact';
import { shopProviderTarget } from './shop/shop-provider';
import { repoRoot } from './support/pact-fixtures';
import { RecordingBroker, type RecordedRequest } from './support/recording-broker';

/**
 * No Pact Broker can run here: these tests check that the right requests reach a RECORDING HTTP server standing in
 * for one — the real pact-broker CLI (publish, can-i-deploy, record-deployment) and the real verifier (pacts for
 * verification with selectors, pending + WIP, results published with git sha + branch).
 */

const pactDir = path.join(repoRoot, 'pacts');
const token = 'test-token-do-not-print';
const ci = {
  version: '0123456789abcdef0123456789abcdef01234567',
  branch: 'feature/contracts',
  buildUrl: 'https://ci.example/runs/42',
};

let broker: RecordingBroker;
let config: BrokerConfig;
beforeEach(async () => {
  broker = await RecordingBroker.start();
  config = { baseUrl: broker.url, token };
});
afterEach(() => broker[Symbol.asyncDispose]());

function bearer(request: RecordedRequest): string | undefined {
  return request.headers.authorization;
}

describe('pact publication and deployment against a recording HTTP server (no broker runs here)', () => {
  it('publish: one POST /contracts/publish per pact, base64 pact content, git sha + branch + build URL, token only in the header', async () => {
    const result = await publishPacts({ broker: config, ci, pactDir });
    expect(result.ok).toBe(true);
    const posts = broker.find('POST', '/contracts/publish');
    const files = readdirSync(pactDir).filter((file) => file.endsWith('.json'));
    expect(posts).toHaveLength(files.length);
    for (const post of posts) {
      const body = post.body as {
        pacticipantName: string;
        pacticipantVersionNumber: string;
        branch: string;
        buildUrl: string;
        contracts: { consumerName: string; providerName: string; specification: string; content: string }[];
      };
      expect(body).toMatchObject({
        pacticipantVersionNumber: ci.version,
        branch: ci.branch,
        buildUrl: ci.buildUrl,
      });
      const [contract] = body.contracts;
      if (!contract) throw new Error('no contract in the publish body');
      expect(contract.specification).toBe('pact');
      const committed = readFileSync(
        path.join(pactDir, `${contract.consumerName}-${contract.providerName}.json`),
        'utf8',
      );
      // The CLI restamps the tool versions in `metadata`: compare what the pact promises.
      const published: unknown = JSON.parse(Buffer.from(contract.content, 'base64').toString('utf8'));
      expect(normalizePact(published)).toEqual(normalizePact(JSON.parse(committed)));
      expect(bearer(post)).toBe(`Bearer ${token}`);
    }
    expect(result.command).not.toContain(token);
    expect(result.output).not.toContain(token);
  });

  it('can-i-deploy: asks the matrix for pacticipant + version + environment, and fails when the broker says no', async () => {
    let deployable = true;
    broker.on((request) =>
      request.path.startsWith('/matrix')
        ? {
            status: 200,
            body: {
              summary: {
                deployable,
                reason: deployable ? 'all verified' : 'missing verification',
                success: 1,
                failed: 0,
                unknown: 0,
              },
              matrix: [],
              notices: [],
            },
          }
        : undefined,
    );
    const yes = await canIDeploy({
      broker: config,
      pacticipant: 'orders',
      version: ci.version,
      environment: 'production',
    });
    expect(yes.ok).toBe(true);
    const query = decodeURIComponent(broker.find('GET', '/matrix')[0]?.path ?? '');
    expect(query).toContain('q[][pacticipant]=orders');
    expect(query).toContain(`q[][version]=${ci.version}`);
    expect(query).toContain('environment=production');
    deployable = false;
    const no = await canIDeploy({
      broker: config,
      pacticipant: 'orders',
      version: ci.version,
      environment: 'production',
    });
    expect(no.ok).toBe(false);
  });

  it('record-deployment: follows the version resource to its record-deployment link for the environment', async () => {
    broker.on((request, base) =>
      request.method === 'GET' && request.path === `/pacticipants/orders/versions/${ci.version}`
        ? {
            status: 200,
            body: {
              number: ci.version,
              _links: {
                self: { href: `${base}${request.path}` },
                'pb:record-deployment': [
                  {
                    name: 'production',
                    href: `${base}${request.path}/deployed-versions/environment/prod-uuid`,
                  },
                ],
              },
            },
          }
        : undefined,
    );
    broker.on((request, base) =>
      request.method === 'POST' && request.path.includes('/deployed-versions/environment/prod-uuid')
        ? { status: 201, body: { _links: { self: { href: `${base}${request.path}` } } } }
        : undefined,
    );
    const result = await recordDeployment({
      broker: config,
      pacticipant: 'orders',
      version: ci.version,
      environment: 'production',
    });
    expect(result.output).not.toContain(token);
    const recorded = broker.find(
      'POST',
      `/pacticipants/orders/versions/${ci.version}/deployed-versions/environment/prod-uuid`,
    );
    expect(recorded).toHaveLength(1);
    expect(bearer(recorded[0] as RecordedRequest)).toBe(`Bearer ${token}`);
  });
});

describe('provider verification against a recording HTTP server standing in for a broker', () => {
  it('asks for pacts with mainBranch / matchingBranch / deployedOrReleased, pending + WIP, and publishes results with sha + branch', async () => {
    const forVerification = '/pacts/provider/orders/for-verification';
    const pactPath = '/pacts/provider/orders/consumer/payments/pact-version/p1';
    broker.on((request, base) => {
      if (request.method === 'GET' && request.path === forVerification) {
        return { status: 200, body: { _links: { self: { href: `${base}${forVerification}` } } } };
      }
      if (request.method === 'POST' && request.path === forVerification) {
        return {
          status: 200,
          body: {
            _embedded: {
              pacts: [
                {
                  shortDescription: 'latest from main',
                  verificationProperties: { pending: false, notices: [] },
                  _links: { self: { href: `${base}${pactPath}`, name: 'payments' } },
                },
              ],
            },
          },
        };
      }
      if (request.method === 'GET' && request.path === pactPath) {
        const pact = JSON.parse(readFileSync(path.join(pactDir, 'payments-orders.json'), 'utf8')) as object;
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
        return {
          status: 200,
          body: {
            name: 'orders',
            _links: {
              self: { href: `${base}/pacticipants/orders` },
              'pb:branch-version': {
                href: `${base}/pacticipants/orders/branches/{branch}/versions/{version}`,
                templated: true,
              },
            },
          },
        };
      }
      return undefined;
    });

    const report = await verifyProviderTarget(shopProviderTarget('orders'), {
      kind: 'broker',
      broker: config,
      ci,
    });
    expect(report.ok).toBe(true);

    const query = broker.find('POST', forVerification)[0]?.body;
    expect(query).toMatchObject({
      consumerVersionSelectors: [
        { mainBranch: true },
        { matchingBranch: true },
        { deployedOrReleased: true },
      ],
      includePendingStatus: true,
      includeWipPactsSince: '2026-01-01',
      providerVersionBranch: ci.branch,
    });
    expect(
      broker.find(
        'PUT',
        `/pacticipants/orders/branches/${encodeURIComponent(ci.branch)}/versions/${ci.version}`,
      ).length +
        broker.find('PUT', `/pacticipants/orders/branches/${ci.branch}/versions/${ci.version}`).length,
    ).toBeGreaterThan(0);
    const results = broker.find('POST', `${pactPath}/verification-results`);
    expect(results).toHaveLength(1);
    expect(results[0]?.body).toMatchObject({
      success: true,
      providerApplicationVersion: ci.version,
      buildUrl: ci.buildUrl,
    });
    expect(results.every((request) => bearer(request) === `Bearer ${token}`)).toBe(true);
  });
});
