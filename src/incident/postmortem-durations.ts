/**
 * The numbers of a postmortem's impact section: milestone times, the time
 * from the start to each milestone, and the time spent at each severity.
 */
import {
  isOpen, severities, type IncidentEvent, type IncidentRecord, type Milestone, type Severity,
} from './model.js';

/** The time of each milestone, where one is known. */
export type MilestoneTimes = Partial<Record<Milestone, string>>;

/** One stretch of time at one severity. */
export interface SeverityPeriod {
  severity: Severity;
  from: string;
  to: string;
  milliseconds: number;
}

/**
 * Returns the incident's milestone times. The start falls back to the
 * declaration. For a resolved or closed incident, the resolution falls back to
 * the last change into `resolved`, because the log records that time even
 * when no milestone was set.
 */
export function milestoneTimes(record: IncidentRecord): MilestoneTimes {
  const times: MilestoneTimes = { ...record.incident.milestones };
  times.started ??= record.incident.createdAt;
  const state = record.incident.state;
  if (times.resolved === undefined && (state === 'resolved' || state === 'closed')) {
    const resolvedAt = lastStateChangeTo(record, 'resolved');
    if (resolvedAt !== null) times.resolved = resolvedAt;
  }
  return times;
}

/**
 * Returns the milliseconds from `from` to `to`, or null when either time is
 * missing or `to` comes first, which means a milestone was recorded wrongly.
 */
export function durationBetween(from: string | undefined, to: string | undefined): number | null {
  if (from === undefined || to === undefined) return null;
  const milliseconds = Date.parse(to) - Date.parse(from);
  return Number.isNaN(milliseconds) || milliseconds < 0 ? null : milliseconds;
}

/**
 * Returns when the incident stopped: `now` for an incident still open, else
 * its resolution, else the change that closed or cancelled it.
 */
export function incidentEnd(record: IncidentRecord, now: Date): string {
  const state = record.incident.state;
  if (isOpen(state)) return now.toISOString();
  const resolved = milestoneTimes(record).resolved;
  if (resolved !== undefined) return resolved;
  return lastStateChangeTo(record, state) ?? record.incident.updatedAt;
}

/**
 * Splits the incident's life, from its start to {@link incidentEnd}, into
 * periods at one severity, following the `severity_changed` events.
 */
export function severityPeriods(record: IncidentRecord, now: Date): SeverityPeriod[] {
  const start = milestoneTimes(record).started ?? record.incident.createdAt;
  const end = incidentEnd(record, now);
  const changes = sortEvents(record.events).flatMap((event) => (
    event.body.type === 'severity_changed' ? [{ at: event.at, body: event.body }] : []));
  let severity = changes[0]?.body.from ?? record.incident.severity;
  let from = start;
  const periods: SeverityPeriod[] = [];
  for (const change of changes) {
    periods.push(makePeriod(severity, from, clampTime(change.at, start, end)));
    severity = change.body.to;
    from = clampTime(change.at, start, end);
  }
  periods.push(makePeriod(severity, from, end));
  return periods.filter((period) => period.milliseconds > 0);
}

/** Adds up the periods per severity, in SEV1 to SEV4 order, leaving out zeros. */
export function timePerSeverity(
  periods: readonly SeverityPeriod[],
): Array<{ severity: Severity; milliseconds: number }> {
  return severities
    .map((severity) => ({
      severity,
      milliseconds: periods
        .filter((period) => period.severity === severity)
        .reduce((sum, period) => sum + period.milliseconds, 0),
    }))
    .filter((total) => total.milliseconds > 0);
}

/**
 * Formats a duration as `45 s`, `47 min`, `2 h 05 min` or `1 d 3 h 00 min`.
 * Durations of a minute or more are rounded down to the minute.
 */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60) % 60;
  const hours = Math.floor(seconds / 3600) % 24;
  const days = Math.floor(seconds / 86400);
  if (days > 0) return `${days} d ${hours} h ${pad(minutes)} min`;
  if (hours > 0) return `${hours} h ${pad(minutes)} min`;
  return `${minutes} min`;
}

/** Returns the events oldest first, by time and then by position in the log. */
export function sortEvents(events: readonly IncidentEvent[]): IncidentEvent[] {
  return [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id - b.id);
}

function makePeriod(severity: Severity, from: string, to: string): SeverityPeriod {
  return { severity, from, to, milliseconds: Math.max(0, Date.parse(to) - Date.parse(from)) };
}

/** Keeps a change time inside the incident's life, so periods never overlap or go negative. */
function clampTime(at: string, start: string, end: string): string {
  const time = Date.parse(at);
  if (time < Date.parse(start)) return start;
  return time > Date.parse(end) ? end : at;
}

function lastStateChangeTo(record: IncidentRecord, state: string): string | null {
  let found: string | null = null;
  for (const event of sortEvents(record.events)) {
    if (event.body.type === 'state_changed' && event.body.to === state) found = event.at;
  }
  return found;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
