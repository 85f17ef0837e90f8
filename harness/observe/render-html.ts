import { CorrelationGraph } from './correlation-graph';
import { serviceFromRoutingKey, type ObservedEvent, type ServiceOf } from './observed-event';
import { renderMermaid } from './render-mermaid';
import { clockTime, timelineRows } from './render-timeline';

export interface HtmlReportOptions {
  readonly title?: string;
  readonly serviceOf?: ServiceOf;
  readonly origin?: string;
}

/**
 * A self-contained HTML report of a flow (no scripts, no network): summary, an inline SVG sequence diagram,
 * the timeline table with payloads, and the Mermaid source to paste elsewhere.
 */
export function renderHtmlReport(events: readonly ObservedEvent[], options: HtmlReportOptions = {}): string {
  const serviceOf = options.serviceOf ?? serviceFromRoutingKey;
  const origin = options.origin ?? 'client';
  const rows = timelineRows(events, { serviceOf });
  const graph = CorrelationGraph.from(events, serviceOf);
  const title = options.title ?? 'Troupe flow report';
  const duplicates = rows.filter((row) => row.flags.includes('duplicate')).length;
  const redelivered = rows.filter((row) => row.flags.includes('redelivered')).length;
  const bySeq = new Map(events.map((event) => [event.seq, event]));
  const tableRows = rows
    .map((row) => {
      const payload = bySeq.get(row.seq)?.identity?.payload;
      return (
        `<tr class="${row.flags.join(' ')}"><td>${clockTime(row.receivedAt)}</td>` +
        `<td class="n">${row.sinceStartMs.toFixed(1)}</td><td class="n">${row.sincePreviousMs.toFixed(1)}</td>` +
        `<td class="n">${row.depth ?? '-'}</td>` +
        `<td style="padding-left:${0.5 + (row.depth ?? 0) * 1.2}em">${escapeHtml(row.eventType)}</td>` +
        `<td>${escapeHtml(row.service)}</td><td>${escapeHtml(row.source)}</td>` +
        `<td>${escapeHtml(row.flags.join(', '))}</td>` +
        `<td><code>${escapeHtml(row.eventId ?? '')}</code></td>` +
        `<td><details><summary>payload</summary><pre>${escapeHtml(JSON.stringify(payload, null, 2) ?? '')}</pre></details></td></tr>`
      );
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.duplicate,tr.redelivered{background:#fff4d6}
tr.unreadable{background:#fde2e2}pre{margin:0;font-size:12px}svg text{font:12px system-ui,sans-serif}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${rows.length} deliveries of ${graph.nodes().length} distinct events, causal height ${graph.height()};
${duplicates} duplicate deliveries, ${redelivered} redelivered.</p>
<h2>Sequence</h2>
${renderSvg(graph, origin)}
<h2>Timeline</h2>
<table><thead><tr><th>time (UTC)</th><th>+ms</th><th>Δms</th><th>depth</th><th>event</th><th>service</th><th>seen at</th><th>flags</th><th>eventId</th><th></th></tr></thead>
<tbody>
${tableRows}
</tbody></table>
<h2>Mermaid source</h2>
<pre>${escapeHtml(renderMermaid(events, { serviceOf, origin }))}</pre>
</body></html>
`;
}

/** A minimal sequence diagram as inline SVG: lanes per service, one arrow per event. */
function renderSvg(graph: CorrelationGraph, origin: string): string {
  const nodes = graph.nodes();
  const lanes: string[] = [];
  if (nodes.some((node) => !node.parent)) lanes.push(origin);
  for (const node of nodes) if (!lanes.includes(node.service)) lanes.push(node.service);
  const laneWidth = 160;
  const rowHeight = 28;
  const width = Math.max(1, lanes.length) * laneWidth;
  const height = 40 + nodes.length * rowHeight + 10;
  const x = (lane: string): number => lanes.indexOf(lane) * laneWidth + laneWidth / 2;
  const parts: string[] = [];
  for (const lane of lanes) {
    parts.push(
      `<text x="${x(lane)}" y="16" text-anchor="middle" font-weight="bold">${escapeHtml(lane)}</text>`,
      `<line x1="${x(lane)}" y1="24" x2="${x(lane)}" y2="${height}" stroke="#bbb" stroke-dasharray="4 3"/>`,
    );
  }
  nodes.forEach((node, index) => {
    const y = 44 + index * rowHeight;
    const from = x(node.parent ? node.parent.service : origin);
    const to = x(node.service);
    const label = `${node.eventType}${node.deliveries.length > 1 ? ` ×${node.deliveries.length}` : ''}`;
    if (from === to) {
      parts.push(
        `<path d="M${from} ${y - 8} h24 v12 h-20" fill="none" stroke="#246" marker-end="url(#arrow)"/>`,
        `<text x="${from + 28}" y="${y}">${escapeHtml(label)}</text>`,
      );
    } else {
      parts.push(
        `<line x1="${from}" y1="${y}" x2="${to}" y2="${y}" stroke="#246" marker-end="url(#arrow)"/>`,
        `<text x="${(from + to) / 2}" y="${y - 4}" text-anchor="middle">${escapeHtml(label)}</text>`,
      );
    }
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img">` +
    `<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">` +
    `<path d="M0,0 L8,4 L0,8 z" fill="#246"/></marker></defs>${parts.join('')}</svg>`
  );
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
