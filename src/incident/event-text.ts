import type { IncidentEventBody } from './model.js';

/** Describes an event of the timeline in one line of plain text, for the terminal. */
export function describeEventText(body: IncidentEventBody): string {
  switch (body.type) {
    case 'declared':
      return `declared "${body.title}" as ${body.severity}`
        + (body.services.length === 0 ? '' : ` affecting ${body.services.join(', ')}`);
    case 'state_changed':
      return `state ${body.from} -> ${body.to}${body.reason === null ? '' : `: ${body.reason}`}`;
    case 'severity_changed':
      return `severity ${body.from} -> ${body.to}`;
    case 'title_changed':
      return `title "${body.from}" -> "${body.to}"`;
    case 'services_changed':
      return `services set to ${body.services.join(', ') || 'none'}`;
    case 'role_assigned':
      return `${body.person} is ${body.role}`
        + (body.previous === null ? '' : `, replacing ${body.previous}`);
    case 'note_added':
      return `note: ${body.text}`;
    case 'status_update':
      return `${body.audience} update: ${body.text}`
        + (body.nextUpdateDue === null ? '' : ` (next due ${body.nextUpdateDue})`);
    case 'milestone_recorded':
      return `milestone ${body.milestone} at ${body.at}`;
    case 'action_item_added':
      return `action item ${body.item}: ${body.title} (${body.owner}, due ${body.due})`;
    case 'action_item_done':
      return `action item ${body.item} done`;
    case 'alert_firing':
      return `alert ${body.alert.alertname} firing since ${body.alert.startsAt}`;
    case 'alert_resolved':
      return `alert ${body.alert.alertname} resolved at ${body.endsAt}`;
    case 'reminder_sent':
      return `reminded the ${body.role}${body.person === null ? '' : ` (${body.person})`}`
        + ` of the update due ${body.due}`;
    case 'reminders_snoozed':
      return `reminders snoozed until ${body.until}`;
  }
}
