/**
 * The chat wording of each event of the incident log: a one-line headline, an
 * optional body of user text, and whether the event is announced at all.
 */
import type { IncidentEvent, IncidentEventType, Role } from './model.js';
import { formatTime } from './slack-message-text.js';

/** An event in words. Both parts are raw text, escaped when the message is built. */
export interface EventDescription {
  headline: string;
  /** User text such as a status update or a reason; null when there is none. */
  body: string | null;
}

/** Options that change which events are announced. */
export interface AnnounceOptions {
  /** Announces notes too. By default they stay in the timeline only. */
  announceNotes?: boolean;
}

/**
 * The event types that reach chat. Notes, milestones, action items and
 * snoozes stay in the timeline, because they change nothing that stakeholders act on.
 */
const announcedTypes: ReadonlySet<IncidentEventType> = new Set<IncidentEventType>([
  'declared', 'state_changed', 'severity_changed', 'title_changed', 'services_changed',
  'role_assigned', 'status_update', 'alert_firing', 'alert_resolved', 'reminder_sent',
]);

/** Returns true when `event` should be posted to chat. */
export function isAnnounced(event: IncidentEvent, options: AnnounceOptions = {}): boolean {
  if (event.body.type === 'note_added') return options.announceNotes === true;
  return announcedTypes.has(event.body.type);
}

/** Role names as the response plan writes them. */
export const roleTitles: Readonly<Record<Role, string>> = {
  commander: 'Incident Commander',
  communications: 'Communications lead',
  owner: 'Owner',
};

/** Describes any event of the log, announced or not, for messages and timelines. */
export function describeEvent(event: IncidentEvent): EventDescription {
  const body = event.body;
  switch (body.type) {
    case 'declared':
      return { headline: `Incident declared as ${body.severity}`, body: declaredText(body) };
    case 'state_changed':
      return { headline: stateHeadline(body.from, body.to), body: body.reason };
    case 'severity_changed':
      return { headline: `Severity changed from ${body.from} to ${body.to}`, body: null };
    case 'title_changed':
      return { headline: 'Title changed', body: `From: ${body.from}\nTo: ${body.to}` };
    case 'services_changed':
      return { headline: 'Affected services changed', body: listOrNone(body.services) };
    case 'role_assigned':
      return { headline: roleHeadline(body.role, body.person, body.previous), body: null };
    case 'note_added':
      return { headline: 'Note', body: body.text };
    case 'status_update':
      return { headline: updateHeadline(body.audience, body.nextUpdateDue), body: body.text };
    case 'milestone_recorded':
      return { headline: `Milestone ${body.milestone} at ${formatTime(body.at)}`, body: null };
    case 'action_item_added':
      return {
        headline: `Action item ${body.item} for ${body.owner}, due ${body.due}`,
        body: body.title,
      };
    case 'action_item_done':
      return { headline: `Action item ${body.item} done`, body: null };
    case 'alert_firing':
      return { headline: `Alert firing: ${body.alert.alertname}`, body: alertText(body.alert) };
    case 'alert_resolved':
      return { headline: `Alert resolved: ${body.alert.alertname}`, body: null };
    case 'reminder_sent':
      return { headline: 'Status update overdue', body: reminderText(body) };
    case 'reminders_snoozed':
      return { headline: `Reminders snoozed until ${formatTime(body.until)}`, body: null };
  }
}

function declaredText(body: { services: string[]; summary: string | null }): string {
  const services = `Affected services: ${listOrNone(body.services)}`;
  return body.summary === null ? services : `${body.summary}\n${services}`;
}

function stateHeadline(from: string, to: string): string {
  if (to === 'resolved') return 'Incident resolved';
  if (to === 'cancelled') return 'Incident cancelled';
  return `State changed from ${from} to ${to}`;
}

function roleHeadline(role: Role, person: string, previous: string | null): string {
  const replaced = previous === null ? '' : ` (replacing ${previous})`;
  return `${roleTitles[role]}: ${person}${replaced}`;
}

function updateHeadline(audience: string, nextUpdateDue: string | null): string {
  const next = nextUpdateDue === null ? '' : `, next one due ${formatTime(nextUpdateDue)}`;
  return `${audience === 'public' ? 'Public' : 'Internal'} status update${next}`;
}

function alertText(alert: { annotations: Record<string, string> }): string | null {
  return alert.annotations.summary ?? alert.annotations.description ?? null;
}

function reminderText(body: { role: Role; person: string | null; due: string }): string {
  const title = roleTitles[body.role];
  const addressee = body.person === null ? `No ${title} is assigned.` : `${title} ${body.person}:`;
  return `${addressee} The stakeholder update was due at ${formatTime(body.due)}. ` +
    'Post one with `srekit incident update`.';
}

function listOrNone(items: string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}
