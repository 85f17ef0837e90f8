import { escapeHtml } from '../observe/render-html';
import { formatDuration } from './duration';
import { renderScenarioReport, type ScenarioReport } from './scenario-report';

/** Extra sections of a run report (the fuzz smoke, the infrastructure line). */
export interface RunReportSection {
  readonly title: string;
  readonly ok: boolean;
  readonly text: string;
}

/** Options of `renderScenariosHtml`. */
export interface ScenariosHtmlOptions {
  readonly title?: string;
  /** One line about where it ran (first line of `troupe run`). */
  readonly infrastructure?: string;
  readonly sections?: readonly RunReportSection[];
  /** Link of each scenario's flow report (`renderHtmlReport` of harness/observe), by scenario index. */
  readonly flowReportHref?: (index: number) => string | undefined;
  readonly generatedAt?: Date;
}

/**
 * A self-contained HTML page (no scripts, no network) summarising a run: a table of scenarios with verdict,
 * duration, flows and terminal events, each scenario's checks and faults, and the text timeline of failures.
 */
export function renderScenariosHtml(
  reports: readonly ScenarioReport[],
  options: ScenariosHtmlOptions = {},
): string {
  const title = options.title ?? 'Troupe run report';
  const passed = reports.filter((report) => report.ok).length;
  const allOk = passed === reports.length && (options.sections ?? []).every((section) => section.ok);
  const rows = reports
    .map((report, index) => {
      const href = options.flowReportHref?.(index);
      const terminals = summarizeTerminals(report);
      return (
        `<tr class="${report.ok ? 'ok' : 'fail'}"><td>${report.ok ? '✓' : '✗'}</td>` +
        `<td><a href="#s${index}">${escapeHtml(report.name)}</a></td>` +
        `<td class="n">${formatDuration(report.durationMs)}</td><td class="n">${report.flows.length}</td>` +
        `<td class="n">${report.events.length}</td><td>${escapeHtml(terminals)}</td>` +
        `<td>${href ? `<a href="${escapeHtml(href)}">timeline</a>` : ''}</td></tr>`
      );
    })
    .join('\n');
  const details = reports
    .map(
      (report, index) =>
        `<section id="s${index}" class="${report.ok ? 'ok' : 'fail'}"><h2>${report.ok ? '✓' : '✗'} ${escapeHtml(report.name)}</h2>` +
        `<p>${escapeHtml(report.description)}</p><p class="meta">${escapeHtml(report.file)} · ${report.mode} · namespace ${escapeHtml(report.namespace)}</p>` +
        `<pre>${escapeHtml(renderScenarioReport(report, { timeline: !report.ok }))}</pre></section>`,
    )
    .join('\n');
  const sections = (options.sections ?? [])
    .map(
      (section) =>
        `<section class="${section.ok ? 'ok' : 'fail'}"><h2>${section.ok ? '✓' : '✗'} ${escapeHtml(section.title)}</h2>` +
        `<pre>${escapeHtml(section.text)}</pre></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222}
h1{margin-bottom:.2rem}.meta{color:#666}
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td,section.fail h2{color:#b00020}tr.ok td:first-child,section.ok h2{color:#0a7d32}
pre{background:#f6f8fa;padding:.8rem;overflow-x:auto;font-size:12px}
.verdict{font-size:1.2rem;font-weight:600}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml((options.generatedAt ?? new Date()).toISOString())}${options.infrastructure ? ` · ${escapeHtml(options.infrastructure)}` : ''}</p>
<p class="verdict ${allOk ? 'ok' : 'fail'}">${allOk ? '✓' : '✗'} ${passed}/${reports.length} scenarios passed</p>
<table><thead><tr><th></th><th>scenario</th><th>time</th><th>flows</th><th>deliveries</th><th>terminal events</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
${sections}
${details}
</body></html>
`;
}

function summarizeTerminals(report: ScenarioReport): string {
  const counts = new Map<string, number>();
  for (const flow of report.flows) {
    const key = flow.terminals.join('+') || 'none';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([type, count]) => (count > 1 ? `${type} ×${count}` : type)).join(', ');
}
