import * as troupe from '../../harness/index';

// The public entry point must load on its own (no import cycles that leave an export undefined at run time) and
// offer one entry per concept.
describe('harness/index (public API)', () => {
  it.each([
    'defineEvent',
    'EventCatalog',
    'troupeEnvelopeAdapter',
    'AmqpTransport',
    'InMemoryTransport',
    'acquireInfrastructure',
    'zodToPact',
    'verifyMessageProvider',
    'checkCompatibility',
    'generateAsyncApi',
    'startTap',
    'EventLog',
    'flow',
    'flowMatchers',
    'fuzzSimulation',
    'fuzzHandler',
    'invariant',
    'runScenario',
    'assertScenario',
    'describeScenarios',
  ] as const)('exports %s', (name) => {
    expect(troupe[name]).toBeDefined();
    expect(['function', 'object']).toContain(typeof troupe[name]);
  });
});
