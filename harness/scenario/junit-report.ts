import { failedChecks, renderScenarioReport, type ScenarioReport } from './scenario-report';

/** JUnit XML for CI: one testsuite, one testcase per scenario, failures with the rendered report and timeline. */
export function renderJUnitReport(
  reports: readonly ScenarioReport[],
  suiteName = 'troupe scenarios',
): string {
  const failures = reports.filter((report) => !report.ok && !report.error).length;
  const errors = reports.filter((report) => report.error).length;
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const total = reports.reduce((sum, report) => sum + report.durationMs, 0);
  const cases = reports.map((report) => {
    const head = `  <testcase classname="${xml(report.file)}" name="${xml(report.name)}" time="${seconds(report.durationMs)}">`;
    if (report.ok) return `${head}</testcase>`;
    const tag = report.error ? 'error' : 'failure';
    const message = report.error
      ? report.error.message
      : failedChecks(report)
          .map((check) => check.name)
          .join('; ');
    return `${head}\n    <${tag} message="${xml(message)}">${xml(renderScenarioReport(report, { timeline: true }))}</${tag}>\n  </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${xml(suiteName)}" tests="${reports.length}" failures="${failures}" errors="${errors}" time="${seconds(total)}">`,
    ...cases,
    '</testsuite>',
    '',
  ].join('\n');
}

function xml(text: string): string {
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  // Control characters other than tab, newline and CR are not allowed in XML 1.0.
  return [...escaped]
    .filter((char) => char >= ' ' || char === '\t' || char === '\n' || char === '\r')
    .join('');
}
