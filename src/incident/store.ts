import type { Kysely } from 'kysely';
import {
  allowedTransitions, canTransition, referenceOf, type Incident, type IncidentEventBody,
  type IncidentState,
} from './model.js';
import {
  appendEvents, eventFromRow, loadEvents, loadIncident, nextIncidentNumber,
} from './event-log.js';
import {
  checkActor, checkAudience, checkDateOrTime, checkMilestone, checkMultilineText, checkNumber,
  checkRole, checkServices, checkSeverity, checkState, checkText, checkTime, incidentNotFound,
  invalidChange, invalidInput, maxNameLength, maxTitleLength,
} from './input-checks.js';
import { nextUpdateAfter } from './projection.js';
import { checkAlertMessage } from './alert-facts.js';
import { receiveAlerts } from './alert-intake.js';
import type { IncidentSchema } from './schema.js';
import {
  systemClock, type ActionItemInput, type Actor, type Clock, type DeclareInput,
  type IncidentService, type ListFilter, type NotifierStore, type StatusUpdateInput,
} from './service-api.js';
import { databaseKindOf, runWrite, type WriteTransaction } from './write-transaction.js';

/** Options of {@link createIncidentService}. */
export interface IncidentServiceOptions {
  /** The time source of new events; the system clock by default. */
  clock?: Clock;
}

/** The database-backed incident service, which also serves the notifiers. */
export type IncidentStore = IncidentService & NotifierStore;

/**
 * Creates the incident service on an open, migrated database (see
 * openIncidentDatabase). Each command checks its input and the incident's
 * state before it writes, then appends its events and rewrites the
 * projection in one transaction. `close` closes the database.
 */
export function createIncidentService(
  db: Kysely<IncidentSchema>,
  options: IncidentServiceOptions = {},
): IncidentStore {
  const clock = options.clock ?? systemClock;
  const kind = databaseKindOf(db);
  const now = (): string => clock.now().toISOString();
  const write = <T>(work: (transaction: WriteTransaction) => Promise<T>): Promise<T> =>
    runWrite(db, kind, work);

  /**
   * Loads incident `number` under its lock, checks that it may still change,
   * and appends the events that `decide` returns for it, all at one time `at`.
   * A follow-up (action items) may also change a closed incident.
   */
  const change = (
    number: number,
    actor: Actor,
    decide: (incident: Incident, at: string) => IncidentEventBody[],
    requestedState?: IncidentState,
    followUp = false,
  ): Promise<Incident> => {
    const checkedNumber = checkNumber(number);
    const checkedActor = checkActor(actor);
    return write(async (transaction) => {
      await transaction.lockIncident(checkedNumber);
      const incident = await loadIncident(transaction.db, checkedNumber);
      if (incident === undefined) throw incidentNotFound(checkedNumber);
      if (!followUp || incident.state !== 'closed') ensureChangeable(incident, requestedState);
      const at = now();
      const bodies = decide(incident, at);
      return appendEvents(transaction.db, checkedNumber, incident, bodies, at, checkedActor);
    });
  };

  return {
    async declare(input: DeclareInput, actor: Actor) {
      const body: IncidentEventBody = {
        type: 'declared',
        title: checkText('title', input.title, maxTitleLength),
        severity: checkSeverity(input.severity),
        services: checkServices(input.services),
        summary: input.summary === undefined ? null : checkMultilineText('summary', input.summary),
        alertGroupKey: null,
      };
      const commander = input.commander === undefined
        ? undefined
        : checkText('commander', input.commander, maxNameLength);
      const checkedActor = checkActor(actor);
      const bodies: IncidentEventBody[] = commander === undefined
        ? [body]
        : [body, { type: 'role_assigned', role: 'commander', person: commander, previous: null }];

      return write(async (transaction) => {
        await transaction.lockNumbering();
        const number = await nextIncidentNumber(transaction.db);
        return appendEvents(transaction.db, number, undefined, bodies, now(), checkedActor);
      });
    },

    async list(filter: ListFilter = {}) {
      const states = filter.states?.map(checkState);
      let query = db.selectFrom('incidents').select('record').orderBy('number');
      if (states !== undefined && states.length > 0) query = query.where('state', 'in', states);
      const rows = await query.execute();
      return rows.map((row) => JSON.parse(row.record) as Incident);
    },

    async get(number: number) {
      const checkedNumber = checkNumber(number);
      const incident = await loadIncident(db, checkedNumber);
      if (incident === undefined) throw incidentNotFound(checkedNumber);
      return { incident, events: await loadEvents(db, checkedNumber) };
    },

    async changeState(number, to, reason, actor) {
      const state = checkState(to);
      const checkedReason = reason === null ? null : checkMultilineText('reason', reason);
      return change(number, actor, (incident) => {
        ensureTransition(incident, state);
        return [{ type: 'state_changed', from: incident.state, to: state, reason: checkedReason }];
      }, state);
    },

    async changeSeverity(number, to, actor) {
      const severity = checkSeverity(to);
      return change(number, actor, (incident) => {
        if (incident.severity === severity) {
          throw invalidChange(incident.number, `it is already ${severity}`);
        }
        return [{ type: 'severity_changed', from: incident.severity, to: severity }];
      });
    },

    async assignRole(number, role, person, actor) {
      const checkedRole = checkRole(role);
      const checkedPerson = checkText('person', person, maxNameLength);
      return change(number, actor, (incident) => {
        const previous = incident.roles[checkedRole];
        if (previous === checkedPerson) {
          throw invalidChange(incident.number, `${checkedPerson} is already the ${checkedRole}`);
        }
        return [{ type: 'role_assigned', role: checkedRole, person: checkedPerson, previous }];
      });
    },

    async addNote(number, text, actor) {
      const checkedText = checkMultilineText('note', text);
      return change(number, actor, () => [{ type: 'note_added', text: checkedText }]);
    },

    async postUpdate(number, input: StatusUpdateInput, actor) {
      const audience = checkAudience(input.audience);
      const text = checkMultilineText('status update', input.text);
      const state = input.state === undefined ? undefined : checkState(input.state);
      return change(number, actor, (incident, at) => {
        const bodies: IncidentEventBody[] = [];
        if (state !== undefined && state !== incident.state) {
          ensureTransition(incident, state);
          bodies.push({ type: 'state_changed', from: incident.state, to: state, reason: null });
        }
        const nextUpdateDue = nextUpdateAfter(at, incident.severity, state ?? incident.state);
        bodies.push({ type: 'status_update', audience, text, nextUpdateDue });
        return bodies;
      }, state);
    },

    async recordMilestone(number, milestone, at, actor) {
      const checkedMilestone = checkMilestone(milestone);
      const checkedAt = checkTime('milestone time', at);
      return change(number, actor, (_incident, now) => {
        ensureNotFuture('milestone time', checkedAt, now);
        return [{ type: 'milestone_recorded', milestone: checkedMilestone, at: checkedAt }];
      });
    },

    async addActionItem(number, input: ActionItemInput, actor) {
      const title = checkText('action item title', input.title, maxTitleLength);
      const owner = checkText('action item owner', input.owner, maxNameLength);
      const due = checkDateOrTime('action item due date', input.due);
      return change(number, actor, (incident) => {
        const item = Math.max(0, ...incident.actionItems.map((existing) => existing.item)) + 1;
        return [{ type: 'action_item_added', item, title, owner, due }];
      }, undefined, true);
    },

    async completeActionItem(number, item, actor) {
      if (!Number.isSafeInteger(item) || item < 1) {
        throw invalidInput('action item number', item, 'it must be a positive integer');
      }
      return change(number, actor, (incident) => {
        const existing = incident.actionItems.find((candidate) => candidate.item === item);
        if (existing === undefined) {
          throw invalidChange(incident.number, `it has no action item ${item}`,
            `run \`srekit incident show ${incident.reference}\` to see its action items`);
        }
        if (existing.done) throw invalidChange(incident.number, `action item ${item} is already done`);
        return [{ type: 'action_item_done', item }];
      }, undefined, true);
    },

    async snoozeReminders(number, until, actor) {
      const checkedUntil = checkTime('snooze end', until);
      return change(number, actor, (incident, at) => {
        if (checkedUntil <= at) {
          throw invalidChange(incident.number, `the snooze end ${checkedUntil} is not in the future`);
        }
        return [{ type: 'reminders_snoozed', until: checkedUntil }];
      });
    },

    async receiveAlerts(message, actor) {
      const checkedActor = checkActor(actor);
      checkAlertMessage(message);
      return write((transaction) => receiveAlerts(transaction, message, checkedActor, now()));
    },

    async recordReminder(number, role, person, due, actor) {
      const checkedRole = checkRole(role);
      const checkedPerson = person === null ? null : checkText('person', person, maxNameLength);
      const checkedDue = checkTime('due time', due);
      return change(number, actor, () => [
        { type: 'reminder_sent', role: checkedRole, person: checkedPerson, due: checkedDue },
      ]);
    },

    async eventsAfter(afterId, limit) {
      const rows = await db.selectFrom('incident_events')
        .select(['id', 'incident', 'at', 'author', 'source', 'body'])
        .where('id', '>', afterId).orderBy('id').limit(limit).execute();
      return rows.map(eventFromRow);
    },

    async readCursor(name) {
      const row = await db.selectFrom('notifier_cursors').select('last_event_id')
        .where('name', '=', checkText('notifier name', name, maxNameLength)).executeTakeFirst();
      return row === undefined ? 0 : Number(row.last_event_id);
    },

    async writeCursor(name, lastEventId) {
      const values = { last_event_id: lastEventId, updated_at: now() };
      await db.insertInto('notifier_cursors')
        .values({ name: checkText('notifier name', name, maxNameLength), ...values })
        .onConflict((conflict) => conflict.column('name').doUpdateSet(values))
        .execute();
    },

    async close() {
      await db.destroy();
    },
  };
}

/** Raises INCIDENT_INVALID_CHANGE for a closed or cancelled incident, which is final. */
function ensureChangeable(incident: Incident, requestedState: IncidentState | undefined): void {
  const { state } = incident;
  if (state !== 'closed' && state !== 'cancelled') return;
  const reason = requestedState === undefined
    ? `it is ${state}, and a ${state} incident is final`
    : `it cannot move from ${state} to ${requestedState}, because a ${state} incident is final`;
  throw invalidChange(incident.number, reason, 'declare a new incident if the problem is back');
}

// A milestone has already happened, so a time after now is a typo that would
// make the postmortem's durations negative. Five minutes allow for the clock
// of the machine that runs the CLI being ahead of the server's.
const clockSkewMs = 5 * 60_000;

function ensureNotFuture(field: string, time: string, now: string): void {
  if (Date.parse(time) <= Date.parse(now) + clockSkewMs) return;
  throw invalidInput(field, time, `it is later than now (${now})`,
    'give the time when the milestone happened, with its zone');
}

function ensureTransition(incident: Incident, to: IncidentState): void {
  if (canTransition(incident.state, to)) return;
  const from = incident.state;
  const reason = from === to ? `it is already ${to}` : `it cannot move from ${from} to ${to}`;
  throw invalidChange(incident.number, reason,
    `from ${from}, ${referenceOf(incident.number)} may move to: ${allowedList(from)}`);
}

function allowedList(from: IncidentState): string {
  const allowed = allowedTransitions[from];
  return allowed.length === 0 ? 'nothing' : allowed.join(', ');
}
