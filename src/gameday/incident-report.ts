import type { IncidentEvent, IncidentRecord } from '../incident/index.js';
import {
  fetchIncidentRecords, incidentsOf, type IncidentMatch, type IncidentServer,
} from './incidents.js';

/** An incident that a scenario's alert opened, as the report shows it. */
export interface IncidentReport {
  scenario: string;
  /** The alert that opened it, such as SloErrorBudgetBurn{tier="fast"}. */
  alert: string;
  reference: string;
  title: string;
  /** The state at the end of the game day. */
  state: string;
  /** Seconds from the scenario's fault to the incident's creation. */
  openedAfterSeconds: number;
  runbookUrls: string[];
  timeline: Array<{ at: string; source: string; event: string }>;
}

/** Any other incident that was open or opened during the game day, in one line. */
export interface OtherIncident {
  reference: string;
  title: string;
  state: string;
}

/** The incidents of a game day: those its checks follow and the rest. */
export interface IncidentsSeen {
  followed: IncidentReport[];
  others: OtherIncident[];
}

/** An incident that a check of a scenario saw open. */
export interface FollowedIncident {
  scenario: string;
  alert: string;
  match: IncidentMatch;
  actedAt: Date;
}

/**
 * Fetches the incidents from the server at the end of the game day and
 * describes those in `followed` with their timelines, and the rest in one
 * line each.
 */
export async function collectIncidents(
  server: IncidentServer,
  followed: FollowedIncident[],
): Promise<IncidentsSeen> {
  const records = await fetchIncidentRecords(server);
  const reports: IncidentReport[] = [];
  for (const entry of followed) {
    const record = incidentsOf(records, entry.match)[0];
    if (record !== undefined) reports.push(reportOf(entry, record));
  }
  const followedReferences = new Set(reports.map((report) => report.reference));
  const others = records.map((record) => record.incident)
    .filter((incident) => !followedReferences.has(incident.reference))
    .map(({ reference, title, state }) => ({ reference, title, state }));
  return { followed: reports, others };
}

function reportOf(entry: FollowedIncident, record: IncidentRecord): IncidentReport {
  const { incident } = record;
  return {
    scenario: entry.scenario,
    alert: entry.alert,
    reference: incident.reference,
    title: incident.title,
    state: incident.state,
    openedAfterSeconds: (Date.parse(incident.createdAt) - entry.actedAt.getTime()) / 1000,
    runbookUrls: incident.runbookUrls,
    timeline: record.events.map((event) => ({
      at: event.at,
      source: event.source,
      event: describeEvent(event.body),
    })),
  };
}

/** Describes a timeline event in a few words for the report. */
export function describeEvent(body: IncidentEvent['body']): string {
  switch (body.type) {
    case 'declared':
      return `declared "${body.title}" as ${body.severity}`;
    case 'state_changed':
      return `${body.from} → ${body.to}${body.reason === null ? '' : `: ${body.reason}`}`;
    case 'severity_changed':
      return `severity ${body.from} → ${body.to}`;
    case 'services_changed':
      return `services: ${body.services.join(', ') || 'none'}`;
    case 'milestone_recorded':
      return `milestone ${body.milestone} at ${timeOfDay(body.at)}`;
    case 'alert_firing':
      return `${body.alert.alertname} firing since ${timeOfDay(body.alert.startsAt)}`;
    case 'alert_resolved':
      return `${body.alert.alertname} resolved at ${timeOfDay(body.endsAt)}`;
    case 'note_added':
      return `note: ${body.text}`;
    case 'status_update':
      return `${body.audience} update: ${body.text}`;
    case 'role_assigned':
      return `${body.person} is ${body.role}`;
    default:
      return body.type.replaceAll('_', ' ');
  }
}

/** Renders the incidents as Markdown sections, or nothing when there are none. */
export function renderIncidentsMarkdown(seen: IncidentsSeen | undefined): string[] {
  if (seen === undefined) return [];
  const lines = ['## Incidents', ''];
  for (const report of seen.followed) {
    lines.push(
      `### ${report.reference}: ${escapeCell(report.title)}`,
      '',
      `- Opened by ${report.alert} in scenario ${report.scenario}, `
        + `${report.openedAfterSeconds.toFixed(1)} s after the fault`,
      `- State at the end: ${report.state}`,
      `- Runbook: ${report.runbookUrls.join(', ') || 'none'}`,
      '',
      '| time (UTC) | source | event |',
      '|---|---|---|',
      ...report.timeline.map((entry) =>
        `| ${timeOfDay(entry.at)} | ${entry.source} | ${escapeCell(entry.event)} |`),
      '',
    );
  }
  if (seen.others.length > 0) {
    lines.push('Other incidents of the run:', '');
    for (const other of seen.others) {
      lines.push(`- ${other.reference}: ${escapeCell(other.title)} (${other.state})`);
    }
    lines.push('');
  }
  return lines;
}

/** Formats the followed incidents in one line each for a terminal. */
export function formatIncidentLines(seen: IncidentsSeen | undefined): string[] {
  return (seen?.followed ?? []).map((report) => `incident ${report.reference} opened by `
    + `${report.alert} ${report.openedAfterSeconds.toFixed(1)} s after the fault of scenario `
    + `${report.scenario}, ${report.timeline.length} timeline events, now ${report.state}`);
}

/**
 * Returns the UTC time of day of an ISO 8601 time, such as 21:40:05.123.
 * Alertmanager writes times with up to nine decimals and without trailing
 * zeros, so each is parsed first. Text that is no time stays as it is.
 */
function timeOfDay(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toISOString().slice(11, 23);
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
