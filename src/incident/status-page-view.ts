/**
 * The status page as data: components, the overall status, open incidents and
 * incidents resolved recently. A component's state is computed from the open
 * incidents each time the view is built and never stored, so a component
 * turns operational as soon as the last open incident naming it resolves.
 */
import { SrekitError } from '../common/errors.js';
import {
  isOpen, type Incident, type IncidentEvent, type IncidentState, type Severity,
} from './model.js';

/** Component states, from best to worst, in the words status pages use. */
export const componentStates = [
  'operational', 'degraded_performance', 'partial_outage', 'major_outage',
] as const;
export type ComponentState = (typeof componentStates)[number];

/** The state each severity gives the components its open incident names. */
export const severityComponentState: Readonly<Record<Severity, ComponentState>> = {
  SEV1: 'major_outage',
  SEV2: 'partial_outage',
  SEV3: 'degraded_performance',
  SEV4: 'operational',
};

/** Incident states in the words status pages use. */
export type PublicIncidentState = 'investigating' | 'identified' | 'monitoring' | 'resolved';

/** How long a resolved incident stays on the page. */
export const resolvedRetentionDays = 7;

/** The text and time of a public status update. */
export interface PublicUpdate {
  text: string;
  at: string;
}

export interface StatusComponent {
  name: string;
  state: ComponentState;
  /** References of the open incidents that name the component. */
  incidents: string[];
}

/** An incident as shown to the public, without notes, internal updates or roles. */
export interface StatusIncident {
  reference: string;
  title: string;
  severity: Severity;
  state: PublicIncidentState;
  services: string[];
  startedAt: string;
  /** Null while the incident is open. */
  resolvedAt: string | null;
  /** The latest public update, or null when none was posted. */
  latestUpdate: PublicUpdate | null;
}

/** Everything the HTML page and the JSON document show. */
export interface StatusView {
  title: string;
  /** The time the view was built, in UTC. */
  generatedAt: string;
  /** The worst state of any component. */
  overall: ComponentState;
  components: StatusComponent[];
  /** Open incidents, the most severe first, then the most recently started. */
  openIncidents: StatusIncident[];
  /** Incidents resolved in the last 7 days, most recently resolved first. */
  resolvedIncidents: StatusIncident[];
}

export interface StatusViewOptions {
  /** Components always listed, in this order, even when nothing affects them. */
  components: string[];
  now: Date;
  /** The page heading, "Service status" by default. */
  title?: string;
  /** The latest public update of each incident, by incident number. */
  publicUpdates?: ReadonlyMap<number, PublicUpdate>;
}

/**
 * Builds the status view from incidents in any state. Cancelled incidents
 * are left out, because cancelling marks an incident as declared in error.
 * Raises INVALID_INPUT for an invalid `now` or an empty component name.
 */
export function buildStatusView(incidents: Incident[], options: StatusViewOptions): StatusView {
  checkOptions(options);
  const updates = options.publicUpdates ?? new Map<number, PublicUpdate>();
  const open = incidents.filter((incident) => isOpen(incident.state));
  const components = buildComponents(options.components, open);
  return {
    title: options.title ?? 'Service status',
    generatedAt: options.now.toISOString(),
    overall: worstState(components.map((component) => component.state)),
    components,
    openIncidents: open
      .map((incident) => toStatusIncident(incident, updates))
      .sort((a, b) => a.severity.localeCompare(b.severity)
        || compareDescending(a.startedAt, b.startedAt)),
    resolvedIncidents: recentlyResolved(incidents, options.now)
      .map((incident) => toStatusIncident(incident, updates))
      .sort((a, b) => compareDescending(a.resolvedAt ?? a.startedAt, b.resolvedAt ?? b.startedAt)),
  };
}

/**
 * Returns the latest public status update among `events`, or null. Internal
 * updates and notes are never returned.
 */
export function latestPublicUpdate(events: readonly IncidentEvent[]): PublicUpdate | null {
  let latest: PublicUpdate | null = null;
  for (const event of events) {
    const body = event.body;
    if (body.type !== 'status_update' || body.audience !== 'public') continue;
    if (latest === null || event.at >= latest.at) latest = { text: body.text, at: event.at };
  }
  return latest;
}

/**
 * Collects the latest public update of each incident from a slice of the
 * event log, by incident number, for {@link StatusViewOptions.publicUpdates}.
 */
export function collectPublicUpdates(
  events: readonly IncidentEvent[],
): Map<number, PublicUpdate> {
  const byIncident = new Map<number, IncidentEvent[]>();
  for (const event of events) {
    const list = byIncident.get(event.incident) ?? [];
    list.push(event);
    byIncident.set(event.incident, list);
  }
  const updates = new Map<number, PublicUpdate>();
  for (const [incident, list] of byIncident) {
    const latest = latestPublicUpdate(list);
    if (latest !== null) updates.set(incident, latest);
  }
  return updates;
}

/** Returns the worst of `states`, or operational when there are none. */
export function worstState(states: readonly ComponentState[]): ComponentState {
  let worst: ComponentState = 'operational';
  for (const state of states) {
    if (componentStates.indexOf(state) > componentStates.indexOf(worst)) worst = state;
  }
  return worst;
}

function checkOptions(options: StatusViewOptions): void {
  if (Number.isNaN(options.now.getTime())) {
    throw new SrekitError('INVALID_INPUT',
      'could not build the status view: `now` is an invalid date');
  }
  const blank = options.components.findIndex((name) => name.trim() === '');
  if (blank !== -1) {
    throw new SrekitError('INVALID_INPUT',
      `could not build the status view: component ${blank + 1} has an empty name`,
      { hint: 'give every component a name, such as "orders-api"' });
  }
}

function buildComponents(configured: string[], open: Incident[]): StatusComponent[] {
  const named = open.flatMap((incident) => incident.services);
  const extra = [...new Set(named)].filter((name) => !configured.includes(name)).sort();
  const names = [...new Set(configured), ...extra];
  return names.map((name) => {
    const affecting = open.filter((incident) => incident.services.includes(name));
    return {
      name,
      state: worstState(affecting.map((incident) => severityComponentState[incident.severity])),
      incidents: affecting.map((incident) => incident.reference),
    };
  });
}

function recentlyResolved(incidents: Incident[], now: Date): Incident[] {
  const since = now.getTime() - resolvedRetentionDays * 24 * 60 * 60 * 1000;
  return incidents.filter((incident) => {
    if (incident.state !== 'resolved' && incident.state !== 'closed') return false;
    const resolvedAt = Date.parse(resolvedTime(incident));
    return resolvedAt >= since && resolvedAt <= now.getTime();
  });
}

function toStatusIncident(
  incident: Incident, updates: ReadonlyMap<number, PublicUpdate>,
): StatusIncident {
  const resolved = !isOpen(incident.state);
  return {
    reference: incident.reference,
    title: incident.title,
    severity: incident.severity,
    state: publicState(incident.state),
    services: [...incident.services],
    startedAt: incident.milestones.started ?? incident.createdAt,
    resolvedAt: resolved ? resolvedTime(incident) : null,
    latestUpdate: updates.get(incident.number) ?? null,
  };
}

/**
 * Returns when the incident was resolved: its `resolved` milestone, or its
 * last change for an incident that has none.
 */
function resolvedTime(incident: Incident): string {
  return incident.milestones.resolved ?? incident.updatedAt;
}

/** Maps an incident state to status page words. Triage shows as investigating. */
function publicState(state: IncidentState): PublicIncidentState {
  switch (state) {
    case 'triage':
    case 'investigating':
      return 'investigating';
    case 'identified':
    case 'monitoring':
      return state;
    default:
      return 'resolved';
  }
}

/** Orders ISO 8601 times latest first. */
function compareDescending(a: string, b: string): number {
  return Date.parse(b) - Date.parse(a);
}
