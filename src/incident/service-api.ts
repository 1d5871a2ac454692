/**
 * The commands of the incident tool, as one interface. The database-backed
 * implementation runs the commands itself; the HTTP client sends them to
 * `srekit incident serve`. The CLI, the server and the notifiers use this
 * interface and do not care which one they hold.
 *
 * Every command checks its input and the incident's state first and raises
 * a SrekitError (INCIDENT_NOT_FOUND, INCIDENT_INVALID_CHANGE, INVALID_INPUT)
 * without writing anything when a check fails. A command that succeeds
 * appends its events and updates the projection in one transaction.
 */
import type {
  EventSource, Incident, IncidentEvent, IncidentRecord, IncidentState, Milestone, Role,
  Severity, UpdateAudience,
} from './model.js';

/** The author and source of a change, for the timeline. */
export interface Actor {
  author: string;
  source: EventSource;
}

export interface DeclareInput {
  title: string;
  severity: Severity;
  services?: string[];
  summary?: string;
  /** Assigns the Incident Commander at once. */
  commander?: string;
}

export interface StatusUpdateInput {
  audience: UpdateAudience;
  text: string;
  /** Moves the incident to this state in the same change. */
  state?: IncidentState;
}

export interface ActionItemInput {
  title: string;
  owner: string;
  due: string;
}

export interface ListFilter {
  /** Only incidents in these states; all when absent. */
  states?: IncidentState[];
}

/** One alert of an Alertmanager webhook message (version 4). */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** An Alertmanager webhook message (version 4), already validated. */
export interface AlertmanagerMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

/** The result of applying a webhook message. */
export interface AlertIntakeOutcome {
  /** The incident the group belongs to, if any. */
  incident: string | null;
  opened: boolean;
  /** Events appended; 0 when the message repeated what was already known. */
  eventsAppended: number;
}

export interface IncidentService {
  declare(input: DeclareInput, actor: Actor): Promise<Incident>;
  list(filter?: ListFilter): Promise<Incident[]>;
  /** The incident and its timeline; INCIDENT_NOT_FOUND when there is none. */
  get(number: number): Promise<IncidentRecord>;
  changeState(
    number: number, to: IncidentState, reason: string | null, actor: Actor,
  ): Promise<Incident>;
  changeSeverity(number: number, to: Severity, actor: Actor): Promise<Incident>;
  assignRole(number: number, role: Role, person: string, actor: Actor): Promise<Incident>;
  addNote(number: number, text: string, actor: Actor): Promise<Incident>;
  postUpdate(number: number, input: StatusUpdateInput, actor: Actor): Promise<Incident>;
  recordMilestone(
    number: number, milestone: Milestone, at: string, actor: Actor,
  ): Promise<Incident>;
  addActionItem(number: number, input: ActionItemInput, actor: Actor): Promise<Incident>;
  /**
   * Marks action item `item` done; INCIDENT_INVALID_CHANGE when the incident
   * has no such item or it is done already.
   */
  completeActionItem(number: number, item: number, actor: Actor): Promise<Incident>;
  snoozeReminders(number: number, until: string, actor: Actor): Promise<Incident>;
  /**
   * Applies an Alertmanager message. Alerts are known by fingerprint and
   * start time, so a repeated or duplicated message appends nothing.
   */
  receiveAlerts(message: AlertmanagerMessage, actor: Actor): Promise<AlertIntakeOutcome>;
  close(): Promise<void>;
}

/**
 * The store methods the notifiers use besides the commands. They run next to the
 * database, in the server's process, so only the database-backed
 * implementation offers this. The event log is the outbox: each notifier
 * keeps a cursor, the id of the last event it has delivered, and moves it
 * only after a delivery succeeds, so a restart resumes where it stopped.
 */
export interface NotifierStore {
  /** Events with an id above `afterId`, oldest first, at most `limit`. */
  eventsAfter(afterId: number, limit: number): Promise<IncidentEvent[]>;
  /** The notifier's cursor; 0 when it has none yet. */
  readCursor(name: string): Promise<number>;
  writeCursor(name: string, lastEventId: number): Promise<void>;
  /** Appends a `reminder_sent` event. */
  recordReminder(
    number: number, role: Role, person: string | null, due: string, actor: Actor,
  ): Promise<Incident>;
}

/** The time source, replaced by a fake clock in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
