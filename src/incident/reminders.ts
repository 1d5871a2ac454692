/**
 * Reminders of overdue stakeholder updates. When an open incident's next
 * update is due, the Communications lead is reminded first and the Incident
 * Commander after a grace period. Each reminder is a `reminder_sent` event,
 * so it shows in the timeline, reaches Slack through the outbox and is
 * never sent twice, even after a restart.
 */
import type { Logger } from '../common/logger.js';
import { SrekitError } from '../common/errors.js';
import { isOpen, openStates, type Incident, type Role } from './model.js';
import { pause } from './notify-timing.js';
import type { RunningLoop } from './outbox.js';
import type { Actor, Clock, IncidentService, NotifierStore } from './service-api.js';

/** Minutes between reminding the Communications lead and reminding the IC. */
export const defaultReminderGraceMinutes = 10;

/** A reminder already sent, as its `reminder_sent` event records it. */
export interface SentReminder {
  role: Role;
  /** The due time the reminder was about. */
  due: string;
  /** When the reminder was sent. */
  at: string;
}

/** A reminder to send now. */
export interface DueReminder {
  incident: number;
  role: Role;
  /** The person assigned to the role, or null when it is unassigned. */
  person: string | null;
  due: string;
}

/** The author and source of reminder events. */
export const reminderActor: Actor = { author: 'srekit', source: 'reminder' };

/** Returns true when the incident is open, its update is overdue and reminders are not snoozed. */
export function isOverdue(incident: Incident, now: Date): boolean {
  if (!isOpen(incident.state) || incident.nextUpdateDue === null) return false;
  if (Date.parse(incident.nextUpdateDue) > now.getTime()) return false;
  const snoozedUntil = incident.remindersSnoozedUntil;
  return snoozedUntil === null || Date.parse(snoozedUntil) <= now.getTime();
}

/**
 * Decides which reminders are due at `now`. For each overdue incident (see
 * isOverdue) the Communications lead is reminded once per due time, then
 * the IC once, `graceMinutes` after the first reminder. An incident without
 * a Communications lead reminds its IC at once. A status update sets a new
 * due time, which starts the cycle again. `lastRemindersByIncident`
 * contains the reminders already sent, by incident number.
 */
export function dueReminders(
  incidents: readonly Incident[],
  lastRemindersByIncident: ReadonlyMap<number, readonly SentReminder[]>,
  now: Date,
  graceMinutes: number = defaultReminderGraceMinutes,
): DueReminder[] {
  const due: DueReminder[] = [];
  for (const incident of incidents) {
    if (!isOverdue(incident, now) || incident.nextUpdateDue === null) continue;
    const dueAt = Date.parse(incident.nextUpdateDue);
    const sent = (lastRemindersByIncident.get(incident.number) ?? [])
      .filter((reminder) => Date.parse(reminder.due) === dueAt);
    const role = nextRole(incident, sent, now, graceMinutes);
    if (role === null) continue;
    due.push({
      incident: incident.number, role, person: incident.roles[role], due: incident.nextUpdateDue,
    });
  }
  return due;
}

function nextRole(
  incident: Incident, sent: readonly SentReminder[], now: Date, graceMinutes: number,
): Role | null {
  if (sent.some((reminder) => reminder.role === 'commander')) return null;
  if (incident.roles.communications === null) return 'commander';

  const toComms = sent.find((reminder) => reminder.role === 'communications');
  if (toComms === undefined) return 'communications';
  const escalateAt = Date.parse(toComms.at) + graceMinutes * 60_000;
  return now.getTime() >= escalateAt ? 'commander' : null;
}

/** Options of {@link sendDueReminders} and {@link startReminders}. */
export interface ReminderOptions {
  store: IncidentService & NotifierStore;
  clock: Clock;
  logger: Logger;
  graceMinutes?: number;
}

/**
 * Sends the reminders due now, each as a `reminder_sent` event, and returns
 * them. An incident that changed in the meantime, so that the store rejects
 * its reminder, is logged and skipped.
 */
export async function sendDueReminders(options: ReminderOptions): Promise<DueReminder[]> {
  const { store, logger } = options;
  const now = options.clock.now();
  const overdue = (await store.list({ states: [...openStates] }))
    .filter((incident) => isOverdue(incident, now));
  const sentByIncident = new Map<number, SentReminder[]>();
  for (const incident of overdue) {
    sentByIncident.set(incident.number, await sentReminders(store, incident.number));
  }

  const sent: DueReminder[] = [];
  for (const reminder of dueReminders(overdue, sentByIncident, now, options.graceMinutes)) {
    try {
      await store.recordReminder(
        reminder.incident, reminder.role, reminder.person, reminder.due, reminderActor);
      sent.push(reminder);
      logger.info({ ...reminder }, 'reminder sent');
    } catch (error) {
      if (!(error instanceof SrekitError)) throw error;
      logger.warn({ err: error, ...reminder }, 'reminder rejected by the store; skipping it');
    }
  }
  return sent;
}

async function sentReminders(store: IncidentService, number: number): Promise<SentReminder[]> {
  const record = await store.get(number);
  const reminders: SentReminder[] = [];
  for (const event of record.events) {
    if (event.body.type !== 'reminder_sent') continue;
    reminders.push({ role: event.body.role, due: event.body.due, at: event.at });
  }
  return reminders;
}

/** Starts checking for due reminders every `intervalMs` in the background. */
export function startReminders(options: ReminderOptions & { intervalMs: number }): RunningLoop {
  const controller = new AbortController();
  const done = (async () => {
    let failures = 0;
    do {
      try {
        await sendDueReminders(options);
        failures = 0;
      } catch (error) {
        failures += 1;
        // The first failure of a run and every tenth after it are logged.
        if (failures % 10 === 1) {
          options.logger.error({ err: error, failures }, 'reminder check failed');
        }
      }
    } while (await pause(options.intervalMs, controller.signal));
  })();
  return {
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}
