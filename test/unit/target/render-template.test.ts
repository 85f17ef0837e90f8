import { renderTemplate, templateUses } from '../../../harness/target/render-template';
import { logPattern } from '../../../harness/target/readiness';

const values = { flow: { key: 'k-1', index: 3, name: 'order', correlationId: 'c-1' } };

describe('renderTemplate', () => {
  it('fills placeholders in nested bodies; a lone placeholder keeps its type', () => {
    const rendered = renderTemplate(
      {
        event: 'OrderPlaced',
        data: {
          orderId: '{{flow.key}}',
          n: '{{ flow.index }}',
          note: 'order {{flow.index}} of {{flow.name}}',
        },
        tags: ['{{flow.key}}'],
      },
      values,
    );
    expect(rendered).toEqual({
      event: 'OrderPlaced',
      data: { orderId: 'k-1', n: 3, note: 'order 3 of order' },
      tags: ['k-1'],
    });
  });

  it('{{uuid}} is new at every occurrence; {{now}} is an ISO time', () => {
    const rendered = renderTemplate({ a: '{{uuid}}', b: '{{uuid}}', at: '{{now}}' }, values) as Record<
      string,
      string
    >;
    expect(rendered['a']).toMatch(/^[0-9a-f-]{36}$/);
    expect(rendered['a']).not.toBe(rendered['b']);
    expect(new Date(rendered['at'] ?? '').toISOString()).toBe(rendered['at']);
  });

  it('an unknown placeholder throws, naming it and the known ones', () => {
    expect(() => renderTemplate('{{flow.id}}', values)).toThrow(
      /unknown placeholder \{\{flow\.id\}\} \(known: flow\.key/,
    );
  });

  it('templateUses finds a placeholder anywhere', () => {
    expect(
      templateUses(
        { publish: { properties: { correlationId: '{{flow.correlationId}}' } } },
        'flow.correlationId',
      ),
    ).toBe(true);
    expect(templateUses({ publish: { body: '{{flow.key}}' } }, 'flow.correlationId')).toBe(false);
  });
});

describe('logPattern', () => {
  it('reads "/…/flags" as a regular expression, anything else as text', () => {
    expect(logPattern('/listening on \\d+/i')).toEqual(/listening on \d+/i);
    expect(logPattern('ready')).toBe('ready');
    expect(logPattern('/not closed')).toBe('/not closed');
  });
});
