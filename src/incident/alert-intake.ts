import type { Kysely } from 'kysely';
import {
  openStates, referenceOf, severities, type AlertFacts, type Incident, type IncidentEventBody,
  type IncidentState, type Severity,
} from './model.js';
import { appendEvents, loadIncident, nextIncidentNumber } from './event-log.js';
import type { IncidentSchema } from './schema.js';
import type {
  Actor, AlertIntakeOutcome, AlertmanagerAlert, AlertmanagerMessage,
} from './service-api.js';
import type { WriteTransaction } from './write-transaction.js';
import { factsOf, isPage, serviceOf, severityLabel, titleOf } from './alert-facts.js';

/** The severity of an incident that a page alert opens without an `incident_severity` label. */
export const defaultAlertSeverity: Severity = 'SEV2';

/** States from which an incident moves to monitoring once all its alerts have resolved. */
const workingStates: readonly IncidentState[] = ['triage', 'investigating', 'identified'];

/** The events that one message adds to one incident, before they are appended. */
interface PendingChange {
  number: number;
  incident: Incident | undefined;
  state: IncidentState;
  severity: Severity;
  services: string[];
  bodies: IncidentEventBody[];
  resolvedAny: boolean;
}

/**
 * Applies an Alertmanager message inside a write transaction. Each alert is
 * one firing, known by fingerprint and start time, and each status of it is
 * recorded once in `alert_receipts`, so repeats and duplicates from an HA pair
 * append nothing. A firing `severity="page"` alert opens an incident or joins
 * the open one of its group, and other alerts only join an open incident.
 * When every alert of an incident has resolved, the incident moves to
 * monitoring from triage, investigating or identified. It never resolves,
 * because a person decides that. An alert that fires again moves a monitoring incident
 * back to investigating.
 */
export async function receiveAlerts(
  transaction: WriteTransaction,
  message: AlertmanagerMessage,
  actor: Actor,
  at: string,
): Promise<AlertIntakeOutcome> {
  await transaction.lockGroup(message.groupKey);
  const open = await loadOpenIncident(transaction, message.groupKey);
  const changes = new Map<number, PendingChange>();
  if (open !== undefined) changes.set(open.number, pendingFrom(open));
  let opened: PendingChange | undefined;

  // Firing alerts go first because they may take the numbering lock, which
  // writers take before any incident lock. Page alerts go first among them
  // so that other alerts of the message can join the incident they open.
  const firing = message.alerts.filter((alert) => alert.status === 'firing')
    .sort((a, b) => Number(isPage(b)) - Number(isPage(a)));
  for (const alert of firing) {
    const facts = factsOf(alert, message.groupKey);
    let target = open === undefined ? opened : changes.get(open.number);
    if (target === undefined && !isPage(alert)) continue;
    if (target === undefined) {
      await transaction.lockNumbering();
      target = { ...openedBy(alert, await nextIncidentNumber(transaction.db)), bodies: [] };
    }
    if (!(await recordReceipt(transaction.db, facts, 'firing', target.number, at))) continue;
    if (target.incident === undefined && opened === undefined) {
      opened = target;
      changes.set(target.number, target);
      target.bodies.push(...declareBodies(alert, message, target, at));
    }
    addFiring(target, alert, facts);
  }

  for (const alert of message.alerts.filter((each) => each.status === 'resolved')) {
    const facts = factsOf(alert, message.groupKey);
    const target = await resolutionTarget(transaction, changes, facts, open);
    if (target === undefined) continue;
    if (!(await recordReceipt(transaction.db, facts, 'resolved', target.number, at))) continue;
    target.bodies.push({ type: 'alert_resolved', alert: facts, endsAt: alert.endsAt });
    target.resolvedAny = true;
  }

  return finish(transaction, message, changes, { opened, open }, { actor, at });
}

async function finish(
  transaction: WriteTransaction,
  message: AlertmanagerMessage,
  changes: Map<number, PendingChange>,
  group: { opened: PendingChange | undefined; open: Incident | undefined },
  write: { actor: Actor; at: string },
): Promise<AlertIntakeOutcome> {
  let eventsAppended = 0;
  for (const change of changes.values()) {
    if (change.bodies.length === 0) continue;
    if (change.resolvedAny) await moveToMonitoring(transaction.db, change);
    if (message.truncatedAlerts > 0) change.bodies.push(truncationNote(message));
    await appendEvents(
      transaction.db, change.number, change.incident, change.bodies, write.at, write.actor,
    );
    eventsAppended += change.bodies.length;
  }
  const number = group.open?.number ?? group.opened?.number ?? changes.keys().next().value;
  return {
    incident: number === undefined ? null : referenceOf(number),
    opened: group.opened !== undefined,
    eventsAppended,
  };
}

/**
 * Inserts a receipt unless one exists. Returns whether it was new, which is
 * what makes repeated deliveries change nothing.
 */
async function recordReceipt(
  db: Kysely<IncidentSchema>, facts: AlertFacts, status: string, incident: number, at: string,
): Promise<boolean> {
  const inserted = await db.insertInto('alert_receipts')
    .values({
      fingerprint: facts.fingerprint, starts_at: facts.startsAt, status, incident, received_at: at,
    })
    .onConflict((conflict) => conflict.columns(['fingerprint', 'starts_at', 'status']).doNothing())
    .returning('incident')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Finds the incident of a resolved alert: that of its firing, else the group's open one. */
async function resolutionTarget(
  transaction: WriteTransaction,
  changes: Map<number, PendingChange>,
  facts: AlertFacts,
  open: Incident | undefined,
): Promise<PendingChange | undefined> {
  const { db } = transaction;
  const firing = await db.selectFrom('alert_receipts').select('incident')
    .where('fingerprint', '=', facts.fingerprint).where('starts_at', '=', facts.startsAt)
    .where('status', '=', 'firing').executeTakeFirst();
  const number = firing === undefined ? open?.number : Number(firing.incident);
  if (number === undefined) return undefined;

  const known = changes.get(number);
  if (known !== undefined) return known;
  await transaction.lockIncident(number);
  const incident = await loadIncident(db, number);
  // A closed or cancelled incident is final, so a late resolution leaves it alone.
  if (incident === undefined || incident.state === 'closed' || incident.state === 'cancelled') {
    return undefined;
  }
  const change = pendingFrom(incident);
  changes.set(number, change);
  return change;
}

/** Moves the incident to monitoring when none of its alerts still fires. */
async function moveToMonitoring(db: Kysely<IncidentSchema>, change: PendingChange): Promise<void> {
  if (!workingStates.includes(change.state)) return;
  const firing = await db.selectFrom('alert_receipts as firing')
    .select((builder) => builder.fn.countAll<number>().as('count'))
    .where('firing.incident', '=', change.number)
    .where('firing.status', '=', 'firing')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('alert_receipts as resolved')
      .select('resolved.incident')
      .whereRef('resolved.fingerprint', '=', 'firing.fingerprint')
      .whereRef('resolved.starts_at', '=', 'firing.starts_at')
      .where('resolved.status', '=', 'resolved'))))
    .executeTakeFirstOrThrow();
  if (Number(firing.count) > 0) return;
  change.bodies.push({
    type: 'state_changed', from: change.state, to: 'monitoring',
    reason: 'every alert of the incident has resolved',
  });
  change.state = 'monitoring';
}

function addFiring(target: PendingChange, alert: AlertmanagerAlert, facts: AlertFacts): void {
  target.bodies.push({ type: 'alert_firing', alert: facts });

  if (target.state === 'monitoring') {
    target.bodies.push({
      type: 'state_changed', from: 'monitoring', to: 'investigating',
      reason: `alert ${facts.alertname} fired again`,
    });
    target.state = 'investigating';
  }

  // An alert may raise the severity but never lowers it, which a person decides.
  const requested = severityLabel(alert);
  const stricter = requested !== undefined
    && severities.indexOf(requested) < severities.indexOf(target.severity);
  if (stricter) {
    target.bodies.push({ type: 'severity_changed', from: target.severity, to: requested });
    target.severity = requested;
  }

  const service = serviceOf(alert);
  if (service !== undefined && !target.services.includes(service)) {
    target.services = [...target.services, service];
    target.bodies.push({ type: 'services_changed', services: target.services });
  }
}

function declareBodies(
  alert: AlertmanagerAlert, message: AlertmanagerMessage, target: PendingChange, at: string,
): IncidentEventBody[] {
  const summary = alert.annotations.description ?? message.commonAnnotations.description;
  const bodies: IncidentEventBody[] = [{
    type: 'declared',
    title: titleOf(alert),
    severity: target.severity,
    services: target.services,
    summary: summary === undefined || summary.trim() === '' ? null : summary.trim(),
    alertGroupKey: message.groupKey,
  }];
  // The alert started before Alertmanager sent it, and the incident too.
  const startsAt = Date.parse(alert.startsAt);
  if (!Number.isNaN(startsAt) && startsAt < Date.parse(at)) {
    const started = new Date(startsAt).toISOString();
    bodies.push({ type: 'milestone_recorded', milestone: 'started', at: started });
  }
  return bodies;
}

function openedBy(alert: AlertmanagerAlert, number: number): Omit<PendingChange, 'bodies'> {
  const service = serviceOf(alert);
  return {
    number,
    incident: undefined,
    state: 'triage',
    severity: severityLabel(alert) ?? defaultAlertSeverity,
    // Set already, so that addFiring does not add the opening alert's service again.
    services: service === undefined ? [] : [service],
    resolvedAny: false,
  };
}

function pendingFrom(incident: Incident): PendingChange {
  return {
    number: incident.number, incident, state: incident.state, severity: incident.severity,
    services: incident.services, bodies: [], resolvedAny: false,
  };
}

/** Loads the open incident of an alert group under its lock, if there is one. */
async function loadOpenIncident(
  transaction: WriteTransaction, groupKey: string,
): Promise<Incident | undefined> {
  const row = await transaction.db.selectFrom('incidents').select('number')
    .where('alert_group_key', '=', groupKey).where('state', 'in', openStates)
    .orderBy('number', 'desc').limit(1).executeTakeFirst();
  if (row === undefined) return undefined;
  // The state may change until the lock is held, so read it again under the lock.
  await transaction.lockIncident(row.number);
  const incident = await loadIncident(transaction.db, row.number);
  return incident !== undefined && openStates.includes(incident.state) ? incident : undefined;
}

function truncationNote(message: AlertmanagerMessage): IncidentEventBody {
  return {
    type: 'note_added',
    text: `Alertmanager left ${message.truncatedAlerts} alerts of group ${message.groupKey} `
      + 'out of this message (max_alerts), so the timeline may miss some of them',
  };
}
