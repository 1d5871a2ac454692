/**
 * The incident model: the states, severities, roles and milestones of an
 * incident, the events its append-only log holds, and the record that the
 * log projects into. Every other file of src/incident speaks these types.
 *
 * Times are ISO 8601 strings in UTC (`2026-12-04T20:41:00.000Z`).
 */

export const incidentStates = [
  'triage', 'investigating', 'identified', 'monitoring', 'resolved', 'closed', 'cancelled',
] as const;
export type IncidentState = (typeof incidentStates)[number];

/** States in which an incident is still being worked on. */
export const openStates: readonly IncidentState[] = [
  'triage', 'investigating', 'identified', 'monitoring',
];

export function isOpen(state: IncidentState): boolean {
  return openStates.includes(state);
}

/**
 * The state changes a person may make. Open states move freely among
 * themselves; `resolved` may reopen to `investigating` or be closed; `closed`
 * and `cancelled` are final. An alert that resolves moves an incident to
 * `monitoring` at most: only a person resolves an incident.
 */
export const allowedTransitions: Readonly<Record<IncidentState, readonly IncidentState[]>> = {
  triage: ['investigating', 'identified', 'monitoring', 'resolved', 'cancelled'],
  investigating: ['triage', 'identified', 'monitoring', 'resolved', 'cancelled'],
  identified: ['triage', 'investigating', 'monitoring', 'resolved', 'cancelled'],
  monitoring: ['triage', 'investigating', 'identified', 'resolved', 'cancelled'],
  resolved: ['investigating', 'closed'],
  closed: [],
  cancelled: [],
};

export function canTransition(from: IncidentState, to: IncidentState): boolean {
  return allowedTransitions[from].includes(to);
}

export const severities = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export type Severity = (typeof severities)[number];

/**
 * How often stakeholders get an update, in minutes, per severity. `null`
 * means on each status change only, with no timer (docs/incident-response.md).
 */
export const updateCadenceMinutes: Readonly<Record<Severity, number | null>> = {
  SEV1: 30,
  SEV2: 60,
  SEV3: null,
  SEV4: null,
};

export const roles = ['commander', 'communications', 'owner'] as const;
export type Role = (typeof roles)[number];

export const milestones = ['started', 'detected', 'acknowledged', 'mitigated', 'resolved'] as const;
export type Milestone = (typeof milestones)[number];

/** The origin of an event. */
export type EventSource = 'cli' | 'api' | 'alertmanager' | 'reminder' | 'system';

export type UpdateAudience = 'internal' | 'public';

/** The labels and annotations of an Alertmanager alert, as received. */
export interface AlertFacts {
  fingerprint: string;
  alertname: string;
  /** The alert's `startsAt`; with the fingerprint it names one firing of an alert. */
  startsAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  groupKey: string;
}

/** The body of an event in the log, tagged by `type`. */
export type IncidentEventBody =
  | {
    type: 'declared';
    title: string;
    severity: Severity;
    services: string[];
    summary: string | null;
    /** Set when an alert opened the incident. */
    alertGroupKey: string | null;
  }
  | { type: 'state_changed'; from: IncidentState; to: IncidentState; reason: string | null }
  | { type: 'severity_changed'; from: Severity; to: Severity }
  | { type: 'title_changed'; from: string; to: string }
  | { type: 'services_changed'; services: string[] }
  | { type: 'role_assigned'; role: Role; person: string; previous: string | null }
  | { type: 'note_added'; text: string }
  | {
    type: 'status_update';
    audience: UpdateAudience;
    text: string;
    /** When the next update is due, from the severity's cadence; null when none is. */
    nextUpdateDue: string | null;
  }
  | { type: 'milestone_recorded'; milestone: Milestone; at: string }
  | { type: 'action_item_added'; item: number; title: string; owner: string; due: string }
  | { type: 'action_item_done'; item: number }
  | { type: 'alert_firing'; alert: AlertFacts }
  | { type: 'alert_resolved'; alert: AlertFacts; endsAt: string }
  | { type: 'reminder_sent'; role: Role; person: string | null; due: string }
  | { type: 'reminders_snoozed'; until: string };

export type IncidentEventType = IncidentEventBody['type'];

/** One entry of the append-only log. */
export interface IncidentEvent {
  /** Position in the whole log, across incidents; strictly increasing. */
  id: number;
  /** The incident's number: INC-7 has number 7. */
  incident: number;
  at: string;
  author: string;
  source: EventSource;
  body: IncidentEventBody;
}

export interface RoleAssignment {
  role: Role;
  person: string;
  at: string;
}

export interface ActionItem {
  item: number;
  title: string;
  owner: string;
  due: string;
  done: boolean;
}

/** An incident as the log projects it. */
export interface Incident {
  number: number;
  /** `INC-` and the number. */
  reference: string;
  title: string;
  severity: Severity;
  state: IncidentState;
  services: string[];
  summary: string | null;
  /** The current holder of each role, or null. */
  roles: Record<Role, string | null>;
  /** Every assignment in order, including the ones since replaced. */
  roleHistory: RoleAssignment[];
  milestones: Partial<Record<Milestone, string>>;
  createdAt: string;
  updatedAt: string;
  /** When the next stakeholder update is due, or null when none is. */
  nextUpdateDue: string | null;
  /** Reminders stay quiet until this time. */
  remindersSnoozedUntil: string | null;
  /** The Alertmanager group that opened the incident, if an alert did. */
  alertGroupKey: string | null;
  /** `runbook_url` annotations of the alerts attached to the incident. */
  runbookUrls: string[];
  actionItems: ActionItem[];
}

/** An incident with its whole timeline. */
export interface IncidentRecord {
  incident: Incident;
  events: IncidentEvent[];
}

export function referenceOf(number: number): string {
  return `INC-${number}`;
}

/** Parses `INC-7` or `7` into 7; undefined for anything else. */
export function parseReference(text: string): number | undefined {
  const match = /^(?:INC-)?([1-9]\d{0,8})$/i.exec(text.trim());
  return match ? Number(match[1]) : undefined;
}
