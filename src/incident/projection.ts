import {
  isOpen, referenceOf, updateCadenceMinutes, type Incident, type IncidentEvent,
  type IncidentEventBody, type IncidentState, type Severity,
} from './model.js';

/**
 * Minutes after declaring a SEV1 or SEV2 by which the first stakeholder update
 * is due (docs/incident-response.md, "Response by level").
 */
export const firstUpdateMinutes = 15;

/**
 * Applies one event of the log to the projected incident and returns the new
 * projection; the input is not modified. Milestones follow the events:
 * started and detected at declaring, acknowledged when the commander is first
 * assigned or a person moves the incident out of triage, mitigated on the
 * first move to monitoring, resolved on resolving. `incident` is undefined
 * only for the `declared` event. Throws a plain Error for any other event without an
 * incident, or for a `declared` event with one, because the log is then
 * corrupt rather than the input bad.
 */
export function applyEvent(incident: Incident | undefined, event: IncidentEvent): Incident {
  const { body } = event;
  if (body.type === 'declared') {
    if (incident !== undefined) throw corrupt(event, 'a second declared event');
    return declare(event, body);
  }
  if (incident === undefined) throw corrupt(event, `a ${body.type} event before declared`);

  const next = copyIncident(incident);
  next.updatedAt = event.at;
  applyChange(next, event, body);
  return next;
}

/** Projects a whole timeline, oldest event first. */
export function projectEvents(events: readonly IncidentEvent[]): Incident | undefined {
  return events.reduce<Incident | undefined>(applyEvent, undefined);
}

/**
 * When the next update is due after a status update at `at`: the severity's
 * cadence later, or null when the severity has no timer or the incident is
 * no longer open.
 */
export function nextUpdateAfter(
  at: string, severity: Severity, state: IncidentState,
): string | null {
  const cadence = updateCadenceMinutes[severity];
  if (cadence === null || !isOpen(state)) return null;
  return addMinutes(at, cadence);
}

function declare(
  event: IncidentEvent,
  body: Extract<IncidentEventBody, { type: 'declared' }>,
): Incident {
  const cadence = updateCadenceMinutes[body.severity];
  return {
    number: event.incident,
    reference: referenceOf(event.incident),
    title: body.title,
    severity: body.severity,
    state: 'triage',
    services: [...body.services],
    summary: body.summary,
    roles: { commander: null, communications: null, owner: null },
    roleHistory: [],
    milestones: { started: event.at, detected: event.at },
    createdAt: event.at,
    updatedAt: event.at,
    nextUpdateDue: cadence === null
      ? null
      : addMinutes(event.at, Math.min(cadence, firstUpdateMinutes)),
    remindersSnoozedUntil: null,
    alertGroupKey: body.alertGroupKey,
    runbookUrls: [],
    actionItems: [],
  };
}

function applyChange(next: Incident, event: IncidentEvent, body: IncidentEventBody): void {
  const { at } = event;
  switch (body.type) {
    case 'declared':
      return;
    case 'state_changed':
      changeState(next, event, body.from, body.to);
      return;
    case 'severity_changed':
      changeSeverity(next, at, body.to);
      return;
    case 'title_changed':
      next.title = body.to;
      return;
    case 'services_changed':
      next.services = [...body.services];
      return;
    case 'role_assigned':
      next.roles[body.role] = body.person;
      next.roleHistory.push({ role: body.role, person: body.person, at });
      if (body.role === 'commander') next.milestones.acknowledged ??= at;
      return;
    case 'status_update':
      next.nextUpdateDue = body.nextUpdateDue;
      return;
    case 'milestone_recorded':
      next.milestones[body.milestone] = body.at;
      return;
    case 'action_item_added':
      next.actionItems.push({
        item: body.item, title: body.title, owner: body.owner, due: body.due, done: false,
      });
      return;
    case 'action_item_done':
      next.actionItems = next.actionItems.map((item) => (item.item === body.item
        ? { ...item, done: true }
        : item));
      return;
    case 'alert_firing':
      addRunbook(next, body.alert.annotations.runbook_url);
      return;
    case 'reminders_snoozed':
      next.remindersSnoozedUntil = body.until;
      return;
    case 'note_added':
    case 'alert_resolved':
    case 'reminder_sent':
      return;
  }
}

function changeState(
  next: Incident, event: IncidentEvent, from: IncidentState, to: IncidentState,
): void {
  const { at } = event;
  next.state = to;
  // Alerts that resolve move an incident out of triage without anyone
  // looking at it, which acknowledges nothing.
  if (from === 'triage' && event.source !== 'alertmanager') next.milestones.acknowledged ??= at;
  if (to === 'monitoring') next.milestones.mitigated ??= at;
  if (to === 'resolved') next.milestones.resolved = at;
  // A reopened incident is unresolved again, so its time to resolve must not
  // count from the earlier resolution.
  if (from === 'resolved' && isOpen(to)) delete next.milestones.resolved;
  if (!isOpen(to)) next.nextUpdateDue = null;
}

/**
 * Sets the severity. A stricter one may bring the next update forward, and
 * one without a timer removes the due time.
 */
function changeSeverity(next: Incident, at: string, to: Severity): void {
  next.severity = to;
  const cadence = updateCadenceMinutes[to];
  if (!isOpen(next.state)) return;
  if (cadence === null) {
    next.nextUpdateDue = null;
  } else if (next.nextUpdateDue === null) {
    next.nextUpdateDue = addMinutes(at, Math.min(cadence, firstUpdateMinutes));
  } else {
    const byCadence = addMinutes(at, cadence);
    if (byCadence < next.nextUpdateDue) next.nextUpdateDue = byCadence;
  }
}

function addRunbook(next: Incident, url: string | undefined): void {
  if (url !== undefined && url !== '' && !next.runbookUrls.includes(url)) {
    next.runbookUrls.push(url);
  }
}

function addMinutes(at: string, minutes: number): string {
  return new Date(Date.parse(at) + minutes * 60_000).toISOString();
}

function copyIncident(incident: Incident): Incident {
  return {
    ...incident,
    services: [...incident.services],
    roles: { ...incident.roles },
    roleHistory: incident.roleHistory.map((assignment) => ({ ...assignment })),
    milestones: { ...incident.milestones },
    runbookUrls: [...incident.runbookUrls],
    actionItems: incident.actionItems.map((item) => ({ ...item })),
  };
}

function corrupt(event: IncidentEvent, what: string): Error {
  return new Error(`the event log of ${referenceOf(event.incident)} is corrupt: `
    + `event ${event.id} is ${what}`);
}
