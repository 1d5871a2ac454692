/**
 * The status page as one self-contained HTML document: inline CSS, no
 * scripts, no external resources, so it can be served or copied anywhere.
 */
import type {
  ComponentState, PublicIncidentState, StatusComponent, StatusIncident, StatusView,
} from './status-page-view.js';

/** Labels of the component states, as the page shows them. */
export const componentStateLabels: Readonly<Record<ComponentState, string>> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
};

/** The banner text for the overall status. */
export const overallLabels: Readonly<Record<ComponentState, string>> = {
  operational: 'All systems operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
};

const incidentStateLabels: Readonly<Record<PublicIncidentState, string>> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

const styles = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1f2328;background:#f6f8fa}
main{max-width:760px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:8px 0 16px}
h2{font-size:1.2em;margin:28px 0 10px}
.banner{padding:14px 16px;border-radius:8px;color:#fff;font-weight:600;font-size:1.1em}
.list{list-style:none;margin:0;padding:0;background:#fff;border:1px solid #d0d7de;
border-radius:8px}
.list>li{padding:12px 16px;border-top:1px solid #d0d7de}
.list>li:first-child{border-top:0}
.component{display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 16px}
.name{font-weight:600;overflow-wrap:anywhere}
.incident h3{font-size:1.05em;margin:0 0 4px;overflow-wrap:anywhere}
.meta{color:#59636e;font-size:.9em}
.fact{white-space:nowrap}
.update{margin:8px 0 0;white-space:pre-wrap;overflow-wrap:anywhere}
.none{color:#59636e}
footer{margin:32px 0 8px;color:#59636e;font-size:.85em}
.operational{color:#1a7f37}.degraded_performance{color:#9a6700}
.partial_outage{color:#bc4c00}.major_outage{color:#cf222e}
.banner.operational{background:#1a7f37;color:#fff}
.banner.degraded_performance{background:#9a6700;color:#fff}
.banner.partial_outage{background:#bc4c00;color:#fff}
.banner.major_outage{background:#cf222e;color:#fff}
`;

/**
 * Renders the view as a complete HTML document. All text from incidents is
 * escaped, so a title such as `<script>` shows as text.
 */
export function renderStatusHtml(view: StatusView): string {
  const title = escapeHtml(view.title);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title>`,
    `<style>${styles}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${title}</h1>`,
    `<div class="banner ${view.overall}">${escapeHtml(overallLabels[view.overall])}</div>`,
    '<h2>Components</h2>',
    renderComponents(view.components),
    '<h2>Open incidents</h2>',
    renderIncidents(view.openIncidents, 'No open incidents.'),
    '<h2>Resolved in the last 7 days</h2>',
    renderIncidents(view.resolvedIncidents, 'No incidents were resolved in the last 7 days.'),
    `<footer>Generated at ${escapeHtml(formatUtc(view.generatedAt))}</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Replaces the characters that HTML gives a meaning in text and attributes. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Formats an ISO 8601 time as `2026-12-04 20:41 UTC`. */
export function formatUtc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function renderComponents(components: StatusComponent[]): string {
  if (components.length === 0) return '<p class="none">No components are configured.</p>';
  const items = components.map((component) => [
    '<li class="component">',
    `<span class="name">${escapeHtml(component.name)}</span>`,
    `<span class="state ${component.state}">${componentStateLabels[component.state]}</span>`,
    '</li>',
  ].join(''));
  return `<ul class="list">\n${items.join('\n')}\n</ul>`;
}

function renderIncidents(incidents: StatusIncident[], empty: string): string {
  if (incidents.length === 0) return `<p class="none">${escapeHtml(empty)}</p>`;
  return `<ul class="list">\n${incidents.map(renderIncident).join('\n')}\n</ul>`;
}

function renderIncident(incident: StatusIncident): string {
  const facts = [
    incident.reference,
    incident.severity,
    incidentStateLabels[incident.state],
    `started ${formatUtc(incident.startedAt)}`,
  ];
  if (incident.resolvedAt !== null) facts.push(`resolved ${formatUtc(incident.resolvedAt)}`);
  if (incident.services.length > 0) facts.push(`affects ${incident.services.join(', ')}`);

  // Each fact wraps only as a whole, so a time never breaks across lines on a phone.
  const meta = facts.map((fact) => `<span class="fact">${escapeHtml(fact)}</span>`);
  const lines = [
    '<li class="incident">',
    `<h3>${escapeHtml(incident.title)}</h3>`,
    `<div class="meta">${meta.join(' · ')}</div>`,
  ];
  if (incident.latestUpdate !== null) {
    const at = escapeHtml(formatUtc(incident.latestUpdate.at));
    lines.push(`<p class="update">${escapeHtml(incident.latestUpdate.text)}</p>`);
    lines.push(`<div class="meta">Update posted ${at}</div>`);
  }
  lines.push('</li>');
  return lines.join('\n');
}
