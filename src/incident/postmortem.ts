/**
 * The postmortem draft: Markdown with the headings of
 * docs/postmortem-template.md in its order, filled from an incident's record.
 * Facts the record contains are written out, and every place that needs a
 * person's analysis carries a visible `**TODO:**` marker.
 */
import { SrekitError } from '../common/errors.js';
import { isOpen, type IncidentRecord, type Milestone } from './model.js';
import {
  durationBetween, formatDuration, milestoneTimes, severityPeriods,
  timePerSeverity, type MilestoneTimes,
} from './postmortem-durations.js';
import {
  formatTimestamp, markdownCell, renderTimeline, roleLabels,
} from './postmortem-timeline.js';

/** The marker that starts every line a person has to fill in. */
export const todoMarker = '**TODO:**';

/**
 * Renders the postmortem draft of `record`. The output depends only on the
 * record and `now`, so the same record always gives the same draft. Raises
 * INVALID_INPUT for an invalid `now` or events of another incident.
 */
export function renderPostmortem(record: IncidentRecord, now: Date): string {
  checkRecord(record, now);
  const sections = [
    renderHeader(record, now),
    renderSummary(record),
    renderImpact(record, now),
    ['## Timeline (UTC)', '', ...renderTimeline(record.events), '', ...renderResponders(record)],
    analysisSection('Root cause',
      'the chain of causes, from what users saw back to a condition the team can change.'),
    analysisSection('Contributing factors',
      'conditions that made the incident possible, bigger, longer or harder to fix.'),
    analysisSection('What went well', 'what helped the response.'),
    analysisSection('What went badly', 'what slowed the response or made it worse.'),
    analysisSection('Where we got lucky', 'what helped but cannot be counted on next time.'),
    renderCorrectiveActions(record),
    analysisSection('Learning items',
      'what the team understands now about the system, the tools or the response.'),
    renderSupportingMaterial(record),
  ];
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function checkRecord(record: IncidentRecord, now: Date): void {
  if (Number.isNaN(now.getTime())) {
    throw new SrekitError('INVALID_INPUT',
      'could not draft the postmortem: `now` is an invalid date');
  }
  const number = record.incident.number;
  const foreign = record.events.find((event) => event.incident !== number);
  if (foreign !== undefined) {
    throw new SrekitError('INVALID_INPUT',
      `could not draft the postmortem of ${record.incident.reference}: event ${foreign.id} `
      + `belongs to incident ${foreign.incident}`,
      { hint: 'pass the record that the incident service returns for this incident' });
  }
}

function renderHeader(record: IncidentRecord, now: Date): string[] {
  const incident = record.incident;
  const started = milestoneTimes(record).started ?? incident.createdAt;
  return [
    `# Postmortem: ${markdownCell(incident.title)}`,
    '',
    '| | |',
    '|---|---|',
    `| incident | ${incident.reference}, ${incident.severity} |`,
    `| date | ${started.slice(0, 10)} |`,
    `| authors | ${todoMarker} names |`,
    '| status | draft |',
    `| reviewed on | ${todoMarker} date of the review meeting |`,
    `| drafted | ${formatTimestamp(now.toISOString())} UTC from the incident record |`,
    '',
    '> Blameless: describe what the systems and the way we work allowed, and what people',
    '> knew at the time. Name roles rather than people, and make corrective actions',
    '> change systems, tools and processes. See docs/postmortem-template.md.',
  ];
}

function renderSummary(record: IncidentRecord): string[] {
  const lines = ['## Summary', ''];
  if (record.incident.summary !== null) {
    lines.push(`Summary given at declaration: ${markdownCell(record.incident.summary)}`, '');
  }
  lines.push(`${todoMarker} three to five sentences: what users saw, for how long, the cause `
    + 'in one sentence, and how it was fixed.');
  return lines;
}

function renderImpact(record: IncidentRecord, now: Date): string[] {
  const times = milestoneTimes(record);
  const services = record.incident.services.map(markdownCell);
  const serviceList = services.length === 0 ? 'none recorded' : services.join(', ');
  return [
    '## Impact',
    '',
    '| measure | value |',
    '|---|---|',
    `| duration of user impact | ${impactWindow(times)} |`,
    `| time to detect (started to detected) | ${durationText(times, 'detected')} |`,
    `| time to acknowledge (started to acknowledged) | ${durationText(times, 'acknowledged')} |`,
    `| time to mitigate (started to mitigated) | ${durationText(times, 'mitigated')} |`,
    `| time to resolve (started to resolved) | ${durationText(times, 'resolved')} |`,
    `| affected services | ${serviceList} |`,
    `| requests failed, error ratio, budget spent | ${todoMarker} from Prometheus |`,
    `| customers or teams affected | ${todoMarker} who, how many, what they could not do |`,
    '',
    ...renderSeverityTime(record, now),
  ];
}

/** Formats the impact window: from the start to mitigation, or to resolution without one. */
function impactWindow(times: MilestoneTimes): string {
  const end = times.mitigated ?? times.resolved;
  const milliseconds = durationBetween(times.started, end);
  if (times.started === undefined || end === undefined || milliseconds === null) {
    return `${todoMarker} not recorded`;
  }
  const from = formatTimestamp(times.started);
  return `${from} to ${formatTimestamp(end)} UTC, ${formatDuration(milliseconds)}`;
}

function durationText(times: MilestoneTimes, milestone: Milestone): string {
  const milliseconds = durationBetween(times.started, times[milestone]);
  return milliseconds === null ? 'not recorded' : formatDuration(milliseconds);
}

function renderSeverityTime(record: IncidentRecord, now: Date): string[] {
  const totals = timePerSeverity(severityPeriods(record, now));
  const lines = ['### Time at each severity', ''];
  if (isOpen(record.incident.state)) {
    lines.push('The incident was still open when this draft was written.', '');
  }
  lines.push('| severity | time |', '|---|---|');
  for (const total of totals) {
    lines.push(`| ${total.severity} | ${formatDuration(total.milliseconds)} |`);
  }
  return lines;
}

function renderResponders(record: IncidentRecord): string[] {
  const history = record.incident.roleHistory;
  const lines = ['### Responders', ''];
  if (history.length === 0) return [...lines, 'No roles were assigned.'];
  lines.push('| role | person | from | until |', '|---|---|---|---|');
  history.forEach((assignment, index) => {
    const next = history.slice(index + 1).find((later) => later.role === assignment.role);
    const until = next === undefined ? 'the end' : formatTimestamp(next.at);
    lines.push(`| ${roleLabels[assignment.role]} | ${markdownCell(assignment.person)} `
      + `| ${formatTimestamp(assignment.at)} | ${until} |`);
  });
  return lines;
}

function analysisSection(heading: string, hint: string): string[] {
  return [`## ${heading}`, '', `${todoMarker} ${hint}`];
}

function renderCorrectiveActions(record: IncidentRecord): string[] {
  const lines = [
    '## Corrective actions',
    '',
    `${todoMarker} give each action a kind (prevent, detect or limit) and a ticket.`,
    '',
  ];
  const items = record.incident.actionItems;
  if (items.length === 0) return [...lines, 'No action items were recorded during the incident.'];
  lines.push('| action | kind | owner | due | done | ticket |', '|---|---|---|---|---|---|');
  for (const item of items) {
    lines.push(`| ${markdownCell(item.title)} | ${todoMarker} | ${markdownCell(item.owner)} `
      + `| ${markdownCell(item.due)} | ${item.done ? 'yes' : 'no'} | ${todoMarker} |`);
  }
  return lines;
}

function renderSupportingMaterial(record: IncidentRecord): string[] {
  const incident = record.incident;
  const lines = ['## Supporting material', ''];
  for (const url of incident.runbookUrls) lines.push(`- Runbook: ${markdownCell(url)}`);
  if (incident.alertGroupKey !== null) {
    lines.push(`- Alertmanager group: \`${incident.alertGroupKey.replaceAll('`', "'")}\``);
  }
  lines.push(`- ${todoMarker} graphs with the absolute time range, and related incidents.`);
  return lines;
}
