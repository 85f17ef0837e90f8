import path from 'node:path';
import { loadScenarioFile, parseScenario } from '../../../harness/scenario/load-scenario';
import { ScenarioSpecError, type ScenarioSpecIssue } from '../../../harness/scenario/scenario-spec-error';
import type { ScenarioVocabulary } from '../../../harness/scenario/scenario-schema';
import { shopLoadOptions } from '../../../scenarios/shop-vocabulary';

const vocabulary: ScenarioVocabulary = {
  eventTypes: ['OrderPlaced', 'PaymentCompleted', 'ShipmentScheduled'],
  services: ['orders', 'payments'],
};

const valid = `name: small
given:
  stock: { BOOK-001: 3 }
  customers:
    ada: { tier: premium }
when:
  - placeOrder:
      as: first
      customer: ada
      items: [{ sku: BOOK-001, quantity: 1 }]
faults:
  - delay: { event: PaymentCompleted, by: 1.5s }
then:
  orders:
    first: { chain: [OrderPlaced, ShipmentScheduled], terminal: ShipmentScheduled }
within: 2m
`;

function issuesOf(text: string): readonly ScenarioSpecIssue[] {
  const result = parseScenario(text, 'specs/x.scenario.yaml', { vocabulary });
  if (result.ok) throw new Error('expected the spec to be rejected');
  expect(result.error).toBeInstanceOf(ScenarioSpecError);
  return result.error.issues;
}

describe('parseScenario', () => {
  it('accepts a valid spec, fills defaults and turns durations into milliseconds', () => {
    const result = parseScenario(valid, 'x.yaml', { vocabulary });
    if (!result.ok) throw result.error;
    const { spec } = result.scenario;
    expect(spec.within).toBe(120_000);
    expect(spec.faults[0]).toEqual({ delay: { event: 'PaymentCompleted', by: 1_500 } });
    expect(spec.then.settle).toBe(300);
    expect(spec.given.customers.ada).toEqual({ tier: 'premium' });
    expect(spec.when[0]).toMatchObject({ placeOrder: { count: 1, currency: 'EUR' } });
  });

  it('names file, line, column and path of an unknown event type, listing the known ones', () => {
    const [issue, ...rest] = issuesOf(
      valid.replace('[OrderPlaced, ShipmentScheduled]', '[OrderPlaced, OrderShipped]'),
    );
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      code: 'invalid-value',
      file: 'specs/x.scenario.yaml',
      line: 15,
      column: 35,
      path: 'then.orders.first.chain[1]',
    });
    expect(issue?.message).toContain('unknown event type "OrderShipped"');
    expect(issue?.message).toContain('known: OrderPlaced, PaymentCompleted, ShipmentScheduled');
  });

  it('points at the key of an unknown field inside a union branch', () => {
    const issues = issuesOf(valid.replace('quantity: 1 }', 'quantity: 1, colour: red }'));
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'unknown-field',
        line: 10,
        column: 45,
        path: 'when[0].placeOrder.items[0].colour',
        message: 'unknown field "colour"',
      }),
    ]);
  });

  it('reports a bad duration with its path', () => {
    const issues = issuesOf(valid.replace('by: 1.5s', 'by: soon'));
    expect(issues).toEqual([
      expect.objectContaining({ code: 'invalid-value', line: 12, path: 'faults[0].delay.by' }),
    ]);
    expect(issues[0]?.message).toContain('bad duration');
  });

  it('reports a missing required field at its parent', () => {
    const issues = issuesOf(valid.replace('      customer: ada\n', ''));
    expect(issues).toEqual([
      expect.objectContaining({ code: 'missing-field', line: 8, path: 'when[0].placeOrder.customer' }),
    ]);
  });

  it('names the step kinds when a step matches none', () => {
    const issues = issuesOf(valid.replace('- placeOrder:', '- placeOrdr:'));
    expect(issues[0]).toMatchObject({ code: 'unknown-field', line: 7, path: 'when[0]' });
    expect(issues[0]?.message).toBe('expected exactly one of "placeOrder", "publish" (got "placeOrdr")');
  });

  it('reports an unknown service in a fault', () => {
    const issues = issuesOf(valid.replace('by: 1.5s }', 'by: 1.5s, service: billing }'));
    expect(issues[0]).toMatchObject({ path: 'faults[0].delay.service', line: 12 });
    expect(issues[0]?.message).toContain('unknown service "billing" (known: orders, payments)');
  });

  it('reports undeclared customers and order names', () => {
    const issues = issuesOf(
      valid.replace('customer: ada', 'customer: bob').replace('    first: {', '    second: {'),
    );
    expect(issues.map((issue) => [issue.code, issue.path, issue.line])).toEqual([
      ['unknown-reference', 'when[0].placeOrder.customer', 9],
      ['unknown-reference', 'then.orders.second', 15],
    ]);
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

  it('reports a malformed SKU at the key', () => {
    const issues = issuesOf(valid.replace('stock: { BOOK-001: 3 }', 'stock: { book: 3 }'));
    expect(issues[0]).toMatchObject({ code: 'invalid-value', path: 'given.stock.book', line: 3, column: 12 });
  });

  it('checks when.publish payloads against the event catalog', () => {
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
    const result = parseScenario(text, 'raw.yaml', shopLoadOptions);
    if (result.ok) throw new Error('expected rejection');
    expect(result.error.issues).toEqual([
      expect.objectContaining({ code: 'invalid-payload', line: 8, path: 'when[0].publish.payload.reason' }),
    ]);
  });

  it('formats issues compiler-style with a code frame', () => {
    const result = parseScenario(valid.replace('by: 1.5s', 'by: soon'), 'specs/x.scenario.yaml', {
      vocabulary,
    });
    if (result.ok) throw new Error('expected rejection');
    expect(result.error.message).toBe(
      [
        'specs/x.scenario.yaml:12:43  faults[0].delay.by: bad duration: write it like "500ms", "10s" or "2m" [invalid-value]',
        '    12 |   - delay: { event: PaymentCompleted, by: soon }',
        '                                                   ^',
      ].join('\n'),
    );
  });
});

describe('loadScenarioFile', () => {
  it('fails on the deliberately broken fixture with file, line and path of every mistake', async () => {
    const file = path.join('test', 'unit', 'scenario', 'fixtures', 'broken.scenario.yaml');
    const error = await loadScenarioFile(file, shopLoadOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ScenarioSpecError);
    const { issues, message } = error as ScenarioSpecError;
    expect(issues.map((issue) => `${issue.line}:${issue.column} ${issue.path} ${issue.code}`)).toEqual([
      '12:41 when[0].placeOrder.items[0].colour unknown-field',
      '16:28 then.orders.*.chain[1] invalid-value',
      '17:9 within invalid-value',
    ]);
    expect(message).toContain(`${file}:16:28`);
    expect(message).toContain('unknown event type "PaymentComplete"');
  });

  it('reports an unreadable file with a stable code and the cause', async () => {
    const error = (await loadScenarioFile('no/such.scenario.yaml', shopLoadOptions).catch(
      (caught: unknown) => caught,
    )) as ScenarioSpecError;
    expect(error.issues[0]).toMatchObject({ code: 'unreadable-file', file: 'no/such.scenario.yaml' });
    expect(error.cause).toBeDefined();
  });
});
