import { writeJsonLine, type Io } from '../common/io.js';
import { describeEventText } from './event-text.js';
import { escapeControlCharacters } from './input-checks.js';
import { milestones, roles, type Incident, type IncidentRecord } from './model.js';

/** Prints a changed incident: one summary line, or one `incident` JSON line. */
export function printIncident(io: Io, verb: string, incident: Incident, json: boolean): void {
  if (json) {
    writeJsonLine(io.stdout, 'incident', { ...incident });
    return;
  }
  const due = incident.nextUpdateDue === null ? '' : `, next update due ${time(incident.nextUpdateDue)}`;
  io.stdout.write(`${verb} ${incident.reference}: ${shown(incident.title)} `
    + `(${incident.severity}, ${incident.state}${due})\n`);
}

/** Prints incidents as a table, or as one `incident` JSON line each. */
export function printIncidentList(io: Io, incidents: Incident[], json: boolean): void {
  if (json) {
    for (const incident of incidents) writeJsonLine(io.stdout, 'incident', { ...incident });
    return;
  }
  if (incidents.length === 0) {
    io.stderr.write('no incidents match\n');
    return;
  }
  const header = ['REF', 'STATE', 'SEVERITY', 'COMMANDER', 'NEXT UPDATE', 'TITLE'];
  const rows = incidents.map((incident) => [
    incident.reference, incident.state, incident.severity, incident.roles.commander ?? '-',
    incident.nextUpdateDue === null ? '-' : time(incident.nextUpdateDue), incident.title,
  ]);
  printTable(io, header, rows.map((row) => row.map(shown)));
}

/** Prints an incident with its timeline, or an `incident` line and one `event` line each. */
export function printRecord(io: Io, record: IncidentRecord, json: boolean): void {
  const { incident, events } = record;
  if (json) {
    writeJsonLine(io.stdout, 'incident', { ...incident });
    for (const event of events) writeJsonLine(io.stdout, 'event', { ...event });
    return;
  }
  const lines = [
    `${incident.reference}  ${incident.title}`,
    field('state', incident.state),
    field('severity', incident.severity),
    field('services', incident.services.join(', ') || '-'),
    ...roles.map((role) => field(role, incident.roles[role] ?? '-')),
    field('next update', incident.nextUpdateDue === null ? '-' : time(incident.nextUpdateDue)),
    ...milestones.filter((name) => incident.milestones[name] !== undefined)
      .map((name) => field(name, time(incident.milestones[name] ?? ''))),
    ...incident.runbookUrls.map((url) => field('runbook', url)),
    ...incident.actionItems.map((item) => field(`action ${item.item}`,
      `${item.done ? '[done] ' : ''}${item.title} (${item.owner}, due ${item.due})`)),
    '',
    'timeline (UTC):',
    ...events.map((event) => `  ${time(event.at)}  ${event.author} (${event.source})  `
      + describeEventText(event.body)),
  ];
  io.stdout.write(`${lines.map(shown).join('\n')}\n`);
}

// The text view escapes control characters, including line breaks of
// multi-line notes, because alert annotations reach titles and summaries
// unchecked and records written before the input checks may contain them.
function shown(text: string): string {
  return escapeControlCharacters(text);
}

function field(name: string, value: string): string {
  return `${`${name}:`.padEnd(16)}${value}`;
}

/** Shortens an ISO time to `2026-12-04 20:41:05Z`. */
function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function printTable(io: Io, header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length,
    ...rows.map((row) => (row[column] ?? '').length)));
  for (const row of [header, ...rows]) {
    const cells = row.map((cell, column) => cell.padEnd(widths[column] ?? 0));
    io.stdout.write(`${cells.join('  ').trimEnd()}\n`);
  }
}
