/**
 * The timeline of a postmortem: each event of the log as one line of plain
 * words, and the Markdown escaping that keeps incident text inside its cell.
 */
import type { IncidentEvent, IncidentEventBody, Milestone, Role } from './model.js';
import { sortEvents } from './postmortem-durations.js';

/** Role names as the response plan writes them. */
export const roleLabels: Readonly<Record<Role, string>> = {
  commander: 'Incident Commander',
  communications: 'Communications lead',
  owner: 'Owner',
};

/** The bold marks that the template puts on the key moments of a timeline. */
const milestoneMarks: Readonly<Record<Milestone, string>> = {
  started: '**Impact starts.**',
  detected: '**Detected.**',
  acknowledged: '**Acknowledged.**',
  mitigated: '**Mitigated.**',
  resolved: '**Resolved.**',
};

/**
 * Escapes text for a Markdown table cell: pipes and backslashes are escaped,
 * angle brackets become entities so no HTML gets through, and line breaks
 * become `<br>` so a multi-line note stays in its row.
 */
export function markdownCell(text: string): string {
  return text
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/\r?\n/g, '<br>');
}

/** Formats an ISO 8601 time as `2026-12-04 20:41:05`, in UTC, or keeps it as given. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Renders the timeline table, one row per event, with its author and source. */
export function renderTimeline(events: readonly IncidentEvent[]): string[] {
  if (events.length === 0) return ['*No events were recorded.*'];
  const rows = sortEvents(events).map((event) => {
    const by = `${markdownCell(event.author)} (${event.source})`;
    return `| ${formatTimestamp(event.at)} | ${describeEvent(event.body)} | ${by} |`;
  });
  return ['| time (UTC) | event | by |', '|---|---|---|', ...rows];
}

/** Describes an event body in plain words, escaped for a table cell. */
export function describeEvent(body: IncidentEventBody): string {
  switch (body.type) {
    case 'declared': return describeDeclared(body);
    case 'state_changed': {
      const reason = body.reason === null ? '' : `: ${markdownCell(body.reason)}`;
      const mark = body.to === 'resolved' ? ` ${milestoneMarks.resolved}` : '';
      return `State changed from ${body.from} to ${body.to}${reason}.${mark}`;
    }
    case 'severity_changed': return `Severity changed from ${body.from} to ${body.to}.`;
    case 'title_changed':
      return `Title changed from "${markdownCell(body.from)}" to "${markdownCell(body.to)}".`;
    case 'services_changed': return `Affected services set to ${listOrNone(body.services)}.`;
    case 'role_assigned': {
      const previous = body.previous === null ? '' : `, replacing ${markdownCell(body.previous)}`;
      return `${markdownCell(body.person)} became ${roleLabels[body.role]}${previous}.`;
    }
    case 'note_added': return `Note: ${markdownCell(body.text)}`;
    case 'status_update': {
      const due = body.nextUpdateDue === null
        ? '' : ` Next update due ${formatTimestamp(body.nextUpdateDue)}.`;
      return `${capitalize(body.audience)} update: ${markdownCell(body.text)}${due}`;
    }
    case 'milestone_recorded':
      return `Milestone ${body.milestone} at ${formatTimestamp(body.at)}. `
        + milestoneMarks[body.milestone];
    case 'action_item_added':
      return `Action item ${body.item} added: ${markdownCell(body.title)} `
        + `(owner ${markdownCell(body.owner)}, due ${markdownCell(body.due)}).`;
    case 'action_item_done': return `Action item ${body.item} done.`;
    case 'alert_firing':
      return `Alert ${markdownCell(body.alert.alertname)} firing since `
        + `${formatTimestamp(body.alert.startsAt)} `
        + `(fingerprint ${markdownCell(body.alert.fingerprint)}).`;
    case 'alert_resolved':
      return `Alert ${markdownCell(body.alert.alertname)} resolved at `
        + `${formatTimestamp(body.endsAt)}.`;
    case 'reminder_sent': {
      const person = body.person === null ? 'nobody assigned' : markdownCell(body.person);
      return `Reminder sent to the ${roleLabels[body.role]} (${person}) `
        + `for the update due ${formatTimestamp(body.due)}.`;
    }
    case 'reminders_snoozed': return `Reminders snoozed until ${formatTimestamp(body.until)}.`;
  }
}

function describeDeclared(body: Extract<IncidentEventBody, { type: 'declared' }>): string {
  const parts = [
    `Declared "${markdownCell(body.title)}" as ${body.severity}`,
    `affecting ${listOrNone(body.services)}`,
  ];
  if (body.alertGroupKey !== null) {
    parts.push(`from alert group ${markdownCell(body.alertGroupKey)}`);
  }
  return `${parts.join(', ')}. **Declared.**`;
}

function listOrNone(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.map(markdownCell).join(', ');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
