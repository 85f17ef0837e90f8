import { renderScenariosHtml } from '../../../harness/scenario/html-report';
import type { ScenarioReport } from '../../../harness/scenario/scenario-report';

const report = (name: string, ok: boolean): ScenarioReport => ({
  name,
  file: `scenarios/${name}.scenario.yaml`,
  description: 'a <b>bold</b> claim',
  mode: 'sim',
  namespace: 'scn-x-000000',
  ok,
  startedAt: '2026-11-26T11:00:00.000Z',
  durationMs: 1234,
  flows: [{ name: 'order', correlationId: 'c', key: 'o', terminals: ['ShipmentScheduled'] }],
  checks: [{ name: 'order: status is shipped', ok, detail: ok ? undefined : 'status is cancelled' }],
  faults: [],
  events: [],
});

describe('renderScenariosHtml', () => {
  it('summarises every scenario, links flow reports, escapes text and shows failures with details', () => {
    const html = renderScenariosHtml([report('happy', true), report('sad', false)], {
      infrastructure: 'troupe: broker: RabbitMQ',
      flowReportHref: (index) => `scenario-${index + 1}.html`,
      sections: [{ title: 'fuzz smoke', ok: true, text: '200 runs, 0 violations' }],
      generatedAt: new Date('2026-11-26T12:00:00.000Z'),
    });
    expect(html).toContain('✗ 1/2 scenarios passed');
    expect(html).toContain('<a href="scenario-2.html">timeline</a>');
    expect(html).toContain('a &#60;b&#62;bold&#60;/b&#62; claim');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('✗ order: status is shipped\n      status is cancelled');
    expect(html).toContain('200 runs, 0 violations');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
