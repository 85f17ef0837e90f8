import { brokerFromEnv, describeBroker, requireBroker } from '../../harness/contracts/broker/broker-config';
import { ciContext } from '../../harness/contracts/broker/ci-context';

describe('broker settings and CI context come from the environment', () => {
  it('reads the broker from PACT_BROKER_* and never shows a secret in its description', () => {
    const token = brokerFromEnv({
      PACT_BROKER_BASE_URL: 'https://broker.example/',
      PACT_BROKER_TOKEN: 's3cr3t',
    });
    expect(token).toEqual({ baseUrl: 'https://broker.example', token: 's3cr3t' });
    expect(describeBroker(token ?? { baseUrl: '' })).toBe('https://broker.example (token ***)');
    const basic = brokerFromEnv({
      PACT_BROKER_BASE_URL: 'https://broker.example',
      PACT_BROKER_USERNAME: 'ci',
      PACT_BROKER_PASSWORD: 'pw-123',
    });
    expect(describeBroker(basic ?? { baseUrl: '' })).toBe('https://broker.example (basic ci:***)');
    expect(brokerFromEnv({})).toBeUndefined();
    expect(() => requireBroker({})).toThrow(/PACT_BROKER_BASE_URL is not set/);
  });

  it('takes version = git sha and branch = git branch from the CI, PR head branch first, build URL from GitHub', () => {
    const context = ciContext({
      GITHUB_SHA: 'abc123',
      GITHUB_HEAD_REF: 'feature/x',
      GITHUB_REF_NAME: '7/merge',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_RUN_ID: '99',
    });
    expect(context).toEqual({
      version: 'abc123',
      branch: 'feature/x',
      buildUrl: 'https://github.com/acme/shop/actions/runs/99',
    });
    expect(ciContext({ PACT_VERSION: 'v1', PACT_BRANCH: 'main', GITHUB_SHA: 'ignored' })).toMatchObject({
      version: 'v1',
      branch: 'main',
    });
  });

  it('falls back to git for the sha and branch outside CI', () => {
    const context = ciContext({});
    expect(context.version).toMatch(/^[0-9a-f]{40}$|^unknown$/);
    expect(context.branch.length).toBeGreaterThan(0);
  });
});
