import path from 'node:path';
import {
  loadScenarioFile,
  parseScenario,
  scenarioLoadOptions,
} from '../../../harness/scenario/load-scenario';
import { ScenarioSpecError, type ScenarioSpecIssue } from '../../../harness/scenario/scenario-spec-error';
import type { ScenarioVocabulary } from '../../../harness/scenario/scenario-vocabulary';
import { shopTarget } from '../../../reference-services/target/shop-target';

/** A vocabulary of a target without steps of its own: the core spec only. */
const vocabulary: ScenarioVocabulary = {
  eventTypes: ['SignupRequested', 'AccountOpened', 'WelcomeSent'],
  services: ['accounts', 'mailer'],
};
const shop = scenarioLoadOptions(shopTarget({ mode: 'sim' }));

const valid = `name: small
when:
  - publish:
      as: first
      exchange: signups
      body: { event: SignupRequested, data: { id: '{{flow.key}}' } }
  - wait: 200ms
faults:
  - delay: { event: AccountOpened, by: 1.5s }
then:
  flows:
    first: { chain: [SignupRequested, WelcomeSent], terminal: WelcomeSent }
  probes:
    - http: { url: 'http://127.0.0.1:1/accounts/{{flows.first.key}}', json: { open: true } }
within: 2m
`;

function issuesOf(text: string, options = { vocabulary }): readonly ScenarioSpecIssue[] {
  const result = parseScenario(text, 'specs/x.scenario.yaml', options);
  if (result.ok) throw new Error('expected the spec to be rejected');
  expect(result.error).toBeInstanceOf(ScenarioSpecError);
  return result.error.issues;
}

describe('parseScenario (the core spec)', () => {
  it('accepts a valid spec, fills defaults, turns durations into milliseconds and normalises steps', () => {
    const result = parseScenario(valid, 'x.yaml', { vocabulary });
    if (!result.ok) throw result.error;
    const { spec } = result.scenario;
    expect(spec.within).toBe(120_000);
    expect(spec.faults[0]).toEqual({ kind: 'delay', event: 'AccountOpened', by: 1_500 });
    expect(spec.then.settle).toBe(300);
    expect(spec.when[0]).toMatchObject({ kind: 'publish', as: 'first', count: 1, exchange: 'signups' });
    expect(spec.when[1]).toEqual({ kind: 'wait', ms: 200 });
    expect(spec.then.probes[0]).toEqual({
      kind: 'http',
      url: 'http://127.0.0.1:1/accounts/{{flows.first.key}}',
      status: 200,
      json: { open: true },
    });
  });

  it('names file, line, column and path of an unknown event type, listing the known ones', () => {
    const [issue, ...rest] = issuesOf(
      valid.replace('[SignupRequested, WelcomeSent]', '[SignupRequested, Welcomed]'),
    );
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      code: 'invalid-value',
      file: 'specs/x.scenario.yaml',
      line: 12,
      column: 39,
      path: 'then.flows.first.chain[1]',
    });
    expect(issue?.message).toContain('unknown event type "Welcomed"');
    expect(issue?.message).toContain('known: SignupRequested, AccountOpened, WelcomeSent');
  });

  it('points at the key of an unknown field inside a step', () => {
    const issues = issuesOf(valid.replace('exchange: signups', 'exchange: signups\n      colour: red'));
    expect(issues).toEqual([
      expect.objectContaining({ code: 'unknown-field', line: 6, column: 7, path: 'when[0].publish.colour' }),
    ]);
  });

  it('reports a bad duration with its path', () => {
    const issues = issuesOf(valid.replace('by: 1.5s', 'by: soon'));
    expect(issues).toEqual([
      expect.objectContaining({ code: 'invalid-value', line: 9, path: 'faults[0].delay.by' }),
    ]);
    expect(issues[0]?.message).toContain('bad duration');
  });

  it('reports a missing required field at its parent', () => {
    const issues = issuesOf(
      valid.replace("    - http: { url: 'http://127.0.0.1:1/accounts/{{flows.first.key}}',", '    - http: {'),
    );
    expect(issues).toEqual([
      expect.objectContaining({ code: 'missing-field', path: 'then.probes[0].http.url' }),
    ]);
  });

  it('names the step kinds when a step matches none', () => {
    const issues = issuesOf(valid.replace('- publish:', '- publsh:'));
    expect(issues[0]).toMatchObject({ code: 'unknown-field', line: 3, path: 'when[0]' });
    expect(issues[0]?.message).toBe(
      'expected exactly one of "publish", "http", "run", "wait" (got "publsh")',
    );
  });

  it('reports an unknown service in a fault', () => {
    const issues = issuesOf(valid.replace('by: 1.5s }', 'by: 1.5s, service: billing }'));
    expect(issues[0]).toMatchObject({ path: 'faults[0].delay.service', line: 9 });
    expect(issues[0]?.message).toContain('unknown service "billing" (known: accounts, mailer)');
  });

  it('reports flows that are used but never started', () => {
    const issues = issuesOf(
      valid
        .replace('    first: {', '    second: {')
        .replace('  - wait: 200ms', '  - wait: { for: WelcomeSent, flow: third }'),
    );
    expect(issues.map((issue) => [issue.code, issue.path, issue.line])).toEqual([
      ['unknown-reference', 'when[1].wait.flow', 7],
      ['unknown-reference', 'then.flows.second', 12],
    ]);
  });

  it('refuses a fault the target cannot apply, saying why', () => {
    const issues = issuesOf(valid, {
      vocabulary: {
        ...vocabulary,
        faults: ['cut', 'kill', 'restart'],
        faultsUnavailableBecause: 'no chaos proxy',
      },
    });
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'unsupported-fault',
        path: 'faults[0].delay',
        message: 'this target cannot apply "delay" faults (no chaos proxy) — it can: cut, kill, restart',
      }),
    ]);
  });

  it('reports a placeholder the runner could not fill, where it is written', () => {
    const issues = issuesOf(
      valid.replace('{{flow.key}}', '{{flow.kee}}').replace('{{flows.first.key}}', '{{flow-key}}'),
    );
    expect(issues.map((issue) => [issue.path, issue.line])).toEqual([
      ['when[0].publish.body.data.id', 6],
      ['then.probes[0].http.url', 14],
    ]);
    expect(issues[1]?.message).toMatch(/^unknown placeholder \{\{flow-key\}\}: use \{\{flow.key\}\}/);
  });

  it('a publish needs an event or a body', () => {
    const issues = issuesOf(
      valid.replace("      body: { event: SignupRequested, data: { id: '{{flow.key}}' } }\n", ''),
    );
    expect(issues).toEqual([expect.objectContaining({ code: 'missing-field', path: 'when[0].publish' })]);
  });

  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('name: x\nwhen: [\n  - a\n');
    expect(issues[0]).toMatchObject({ code: 'yaml-syntax', file: 'specs/x.scenario.yaml' });
    expect(issues[0]?.line).toBeGreaterThan(1);
  });

  it('reports an alias bomb as a spec error instead of throwing', () => {
    const levels = Array.from({ length: 12 }, (_unused, level) =>
      level === 0
        ? 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]'
        : `l${level}: &l${level} [${Array.from({ length: 10 }, () => `*l${level - 1}`).join(', ')}]`,
    );
    const issues = issuesOf(`${levels.join('\n')}\nname: x\n`);
    expect(issues).toEqual([
      expect.objectContaining({ code: 'yaml-syntax', message: expect.stringMatching(/alias/) as unknown }),
    ]);
  });

  it('formats issues compiler-style with a code frame', () => {
    const result = parseScenario(valid.replace('by: 1.5s', 'by: soon'), 'specs/x.scenario.yaml', {
      vocabulary,
    });
    if (result.ok) throw new Error('expected rejection');
    expect(result.error.message).toBe(
      [
        'specs/x.scenario.yaml:9:40  faults[0].delay.by: bad duration: write it like "500ms", "10s" or "2m" [invalid-value]',
        '    9 |   - delay: { event: AccountOpened, by: soon }',
        '                                               ^',
      ].join('\n'),
    );
  });
});

describe('parseScenario with a target’s own steps and probes (the reference shop)', () => {
  const order = `name: order
given:
  - stock: { BOOK-001: 3 }
  - customers:
      ada: { tier: premium }
when:
  - placeOrder:
      as: first
      customer: ada
      items: [{ sku: BOOK-001, quantity: 1 }]
then:
  probes:
    - orderStatus: { flow: first, status: shipped }
    - stock: { BOOK-001: 2 }
`;

  it('accepts the shop’s steps and probes, with their defaults', () => {
    const result = parseScenario(order, 'x.yaml', shop);
    if (!result.ok) throw result.error;
    expect(result.scenario.spec.when[0]).toMatchObject({
      kind: 'target',
      name: 'placeOrder',
      as: 'first',
      count: 1,
      args: { customer: 'ada', currency: 'EUR', fraudScore: 0.05 },
    });
    expect(result.scenario.spec.given[1]).toMatchObject({
      kind: 'target',
      name: 'customers',
      args: { value: { ada: { tier: 'premium' } } },
    });
    expect(result.scenario.spec.then.probes[0]).toEqual({
      kind: 'target',
      name: 'orderStatus',
      args: { flow: 'first', status: 'shipped' },
    });
  });

  it('an unknown field of a target step is reported at its key', () => {
    const result = parseScenario(
      order.replace('quantity: 1 }', 'quantity: 1, colour: red }'),
      'x.yaml',
      shop,
    );
    if (result.ok) throw new Error('expected rejection');
    expect(result.error.issues).toEqual([
      expect.objectContaining({
        code: 'unknown-field',
        line: 10,
        column: 45,
        path: 'when[0].placeOrder.items[0].colour',
      }),
    ]);
  });

  it('a name the target’s step uses must be declared by an earlier step', () => {
    const result = parseScenario(order.replace('customer: ada', 'customer: bob'), 'x.yaml', shop);
    if (result.ok) throw new Error('expected rejection');
    expect(result.error.issues).toEqual([
      expect.objectContaining({
        code: 'unknown-reference',
        line: 9,
        path: 'when[0].placeOrder.customer',
        message: 'unknown customer "bob": declare it in an earlier step',
      }),
    ]);
  });

  it('a malformed key of a target step is reported at the key', () => {
    const result = parseScenario(
      order.replace('stock: { BOOK-001: 3 }', 'stock: { book: 3 }'),
      'x.yaml',
      shop,
    );
    if (result.ok) throw new Error('expected rejection');
    expect(result.error.issues[0]).toMatchObject({
      code: 'invalid-value',
      path: 'given[0].stock.book',
      line: 3,
      column: 14,
    });
  });

  it('checks publish payloads against the target’s event schemas', () => {
    const text = `name: raw
when:
  - publish:
      event: PaymentFailed
      payload:
        orderId: '{{uuid order}}'
        amount: { amountMinor: 100, currency: EUR }
        reason: card_expired
then: {}
`;
    const result = parseScenario(text, 'raw.yaml', shop);
    if (result.ok) throw new Error('expected rejection');
    expect(result.error.issues).toEqual([
      expect.objectContaining({ code: 'invalid-payload', line: 8, path: 'when[0].publish.payload.reason' }),
    ]);
  });
});

describe('loadScenarioFile', () => {
  it('fails on the deliberately broken fixture with file, line and path of every mistake', async () => {
    const file = path.join('test', 'unit', 'scenario', 'fixtures', 'broken.scenario.yaml');
    const error = await loadScenarioFile(file, shop).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ScenarioSpecError);
    const { issues, message } = error as ScenarioSpecError;
    expect(issues.map((issue) => `${issue.line}:${issue.column} ${issue.path} ${issue.code}`)).toEqual([
      '12:41 when[0].placeOrder.items[0].colour unknown-field',
      '16:28 then.flows.*.chain[1] invalid-value',
      '17:9 within invalid-value',
    ]);
    expect(message).toContain(`${file}:16:28`);
    expect(message).toContain('unknown event type "PaymentComplete"');
  });

  it('reports an unreadable file with a stable code and the cause', async () => {
    const error = (await loadScenarioFile('no/such.scenario.yaml', shop).catch(
      (caught: unknown) => caught,
    )) as ScenarioSpecError;
    expect(error.issues[0]).toMatchObject({ code: 'unreadable-file', file: 'no/such.scenario.yaml' });
    expect(error.cause).toBeDefined();
  });
});
