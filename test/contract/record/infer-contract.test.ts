import { explainBrokerFailure } from '../../../harness/contracts/broker/explain-broker-failure';
import { inferContract } from '../../../harness/contracts/record/infer-contract';

/** The matcher inference of `troupe contracts record` and the broker failure hints, on their own (no servers). */

describe('inferContract', () => {
  it('keeps mixed numbers as number, nullable fields as OR null, and leaves out a field some samples lack', () => {
    const inferred = inferContract([
      { amount: 1, ratio: 0.5, note: null, extra: 'x', 'odd key': 'a' },
      { amount: 2.5, ratio: 1.5, note: 'n', 'odd key': 'b' },
    ]);
    // The example shows a nullable field's first non-null value: it tells the reader its type.
    expect(inferred.content).toEqual({ amount: 1, ratio: 0.5, note: 'n', 'odd key': 'a' });
    expect(inferred.rules['$.amount']).toEqual({ combine: 'AND', matchers: [{ match: 'number' }] });
    expect(inferred.rules['$.ratio']).toEqual({ combine: 'AND', matchers: [{ match: 'decimal' }] });
    expect(inferred.rules['$.note']).toEqual({
      combine: 'OR',
      matchers: [{ match: 'type' }, { match: 'null' }],
    });
    expect(inferred.rules["$['odd key']"]).toEqual({ combine: 'AND', matchers: [{ match: 'type' }] });
    expect(inferred.looseness).toContainEqual({
      path: '$.extra',
      reason: 'absent from some messages: left out',
    });
  });

  it('an enum needs every value seen twice (an id seen once is a string), at most maxEnumValues values', () => {
    const samples = ['a', 'b', 'a', 'b'].map((status, index) => ({ status, id: `id-${index}` }));
    const inferred = inferContract(samples);
    expect(inferred.fields).toContainEqual({ path: '$.status', kind: 'enum (a|b)' });
    expect(inferred.fields).toContainEqual({ path: '$.id', kind: 'string' });
    expect(inferContract(samples, { maxEnumValues: 1 }).fields).toContainEqual({
      path: '$.status',
      kind: 'string',
    });
  });

  it('types that disagree get no rule and say so', () => {
    const inferred = inferContract([{ value: 1 }, { value: 'one' }]);
    expect(inferred.rules['$.value']).toBeUndefined();
    expect(inferred.looseness).toContainEqual({
      path: '$.value',
      reason: 'seen as number and string: no rule',
    });
  });
});

describe('explainBrokerFailure names what the broker lacks (texts the pact-broker CLI printed)', () => {
  it.each([
    [
      "❌ Could not find relation 'pb:publish-contracts'",
      "relation 'pb:publish-contracts'",
      'no pact was published',
    ],
    [
      '❌ Failed to record deployment: missing field `pb:record-deployment`',
      "'pb:record-deployment'",
      'cannot record deployments',
    ],
    [
      'invalid type: string "abc", expected struct PacticipantVersions',
      'pacticipant version',
      'Nothing was recorded or decided',
    ],
    [
      "no 'pb:branch-version' link on the provider",
      "'pb:branch-version'",
      'can-i-deploy has nothing to decide on',
    ],
  ])('%s', (text, missing, meaning) => {
    const hint = explainBrokerFailure(text);
    expect(hint?.missing).toContain(missing);
    expect(hint?.meaning).toContain(meaning);
  });

  it('an unknown failure gets no invented hint', () => {
    expect(explainBrokerFailure('connection refused')).toBeUndefined();
  });
});
