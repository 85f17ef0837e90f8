import * as troupe from '../../harness/index';
import * as contracts from '../../harness/contracts/index';

// The public entry point must load on its own (no import cycles that leave an export undefined at run time) and
// offer one entry per concept.
describe('harness/index (public API)', () => {
  it.each([
    'defineEvent',
    'configJsonSchema',
    'EventCatalog',
    'troupeEnvelopeAdapter',
    'AmqpTransport',
    'InMemoryTransport',
    'acquireInfrastructure',
    'zodToPact',
    'checkCompatibility',
    'generateAsyncApi',
    'startTap',
    'EventLog',
    'flow',
    'flowMatchers',
    'fuzzSimulation',
    'fuzzHandler',
    'parseSchedule',
    'planFromSchedule',
    'invariant',
    'runScenario',
    'assertScenario',
    'describeScenarios',
  ] as const)('exports %s', (name) => {
    expect(troupe[name]).toBeDefined();
    expect(['function', 'object']).toContain(typeof troupe[name]);
  });
});

// troupe/contracts: what needs Pact's types (an optional dependency) lives only here, beside the rest of contracts.
describe('harness/contracts/index (troupe/contracts)', () => {
  it.each(['addEventInteraction', 'verifyMessageProvider', 'assertProviderVerified', 'zodToPact'] as const)(
    'exports %s',
    (name) => {
      expect(typeof contracts[name]).toBe('function');
    },
  );

  it('keeps Pact-typed functions out of the main entry point', () => {
    expect(Object.keys(troupe)).not.toContain('addEventInteraction');
    expect(Object.keys(troupe)).not.toContain('verifyMessageProvider');
  });
});
