import { formatDuration } from './duration.js';
import { routeTiming, type Profile, type SeverityLabel } from './profiles.js';

/** The Alertmanager receivers: one per severity, and the dead man's switch. */
export const alertReceivers = ['page', 'warn', 'ticket', 'deadmansswitch'] as const;

/** The name of one of {@link alertReceivers}. */
export type AlertReceiver = (typeof alertReceivers)[number];

/** The webhook paths of the alert receiver: one per receiver of the routing tree. */
export const webhookPaths = alertReceivers;

/** The name of one of {@link webhookPaths}. */
export type WebhookPath = (typeof webhookPaths)[number];

/**
 * Base URL of the alert receiver in the committed alertmanager.yml: the
 * receiver of the local stack at its default port (base port 19090 + 5).
 */
export const defaultWebhookBaseUrl = 'http://127.0.0.1:19095';

/**
 * Base URL of the incident server in the committed alertmanager.yml: the
 * incident server of the local stack at its default port (base port 19090 + 6).
 */
export const defaultIncidentServerUrl = 'http://127.0.0.1:19096';

/** The path of the incident server's Alertmanager webhook. */
export const incidentWebhookPath = '/v1/webhooks/alertmanager';

/**
 * The file with the incident server's API token in the committed
 * alertmanager.yml: the path where monitoring/docker-compose.yml mounts the
 * `incident-token` secret.
 */
export const defaultIncidentTokenFile = '/run/secrets/incident-token';

/** One route of the routing tree, with the reason for it written above it in the file. */
export interface RouteSpec {
  /** The reason for the route and for its timing, written as a comment above it. */
  comment: string;
  /** Alertmanager matchers, all of which an alert must satisfy; none on the root route. */
  matchers: readonly string[];
  receiver: AlertReceiver;
  /** The severity whose timing in the profile the route takes. */
  timing: SeverityLabel;
}

/**
 * One webhook of a receiver: a path of the alert receiver, or `incident`
 * for the incident server's Alertmanager webhook, which needs its token.
 */
export interface WebhookSpec {
  path: WebhookPath | 'incident';
  sendResolved: boolean;
}

/** One receiver and the webhooks it sends each notification to. */
export interface ReceiverSpec {
  name: AlertReceiver;
  /** The reason for the receiver's webhooks, when they need one. */
  comment?: string;
  webhooks: readonly WebhookSpec[];
}

/** The routing tree: a root route, one level of child routes and the receivers. */
export interface RoutingSpec {
  /** The reason for grouping alerts by {@link RoutingSpec.groupBy}. */
  groupByComment: string;
  /** Labels that split alerts into notification groups, inherited by every route. */
  groupBy: readonly string[];
  root: RouteSpec;
  routes: readonly RouteSpec[];
  receivers: readonly ReceiverSpec[];
}

/** The routing tree of srekit: alerts go by their `severity` label to one receiver each. */
export const routing: RoutingSpec = {
  groupByComment: 'Alerts are grouped by name, job, service and SLO: a down host, a failing '
    + 'service and the SLOs of another service arrive separately, while the instances of one '
    + 'job arrive together. An alert without one of these labels is grouped as if the label '
    + 'were empty.',
  groupBy: ['alertname', 'job', 'service', 'slo'],
  root: {
    comment: 'An alert without a known severity label is a mistake in a rule. It goes to the '
      + 'warn receiver, so someone sees it the same day without a page.',
    matchers: [],
    receiver: 'warn',
    timing: 'warn',
  },
  routes: [
    {
      comment: 'Pages wake someone up. The rule has already waited its `for`, so group_wait '
        + 'only collects alerts that fire together. Changes go out at the next group_interval, '
        + 'and an unresolved page is sent again at repeat_interval.',
      matchers: ['severity="page"'],
      receiver: 'page',
      timing: 'page',
    },
    {
      comment: 'Warnings are for working hours: the root route\'s timing.',
      matchers: ['severity="warn"'],
      receiver: 'warn',
      timing: 'warn',
    },
    {
      comment: 'Tickets are batched: group_wait gathers related alerts, changes go out rarely, '
        + 'and a reminder follows once a day while one stays open.',
      matchers: ['severity="ticket"'],
      receiver: 'ticket',
      timing: 'ticket',
    },
    {
      comment: 'The Watchdog alert always fires. It goes to a dead man\'s switch, an outside '
        + 'service that raises its own alarm when the heartbeat stops, because then no other '
        + 'alert can arrive either. Alertmanager 0.25 resends a group at a group_interval '
        + 'tick only when more than repeat_interval has passed, so a repeat_interval below '
        + 'group_interval sends the heartbeat at every tick.',
      matchers: ['severity="none"'],
      receiver: 'deadmansswitch',
      timing: 'none',
    },
  ],
  receivers: [
    {
      name: 'page',
      comment: 'A page also opens an incident. Two webhooks in one receiver, rather than a '
        + 'second route with `continue: true`, get the same groups at the same moment, so the '
        + 'incident starts with exactly the alerts of the page. Alertmanager retries each '
        + 'webhook on its own, so an incident server that is down delays no page. The incident '
        + 'webhook sends the server\'s bearer token, which Alertmanager reads from a file, so '
        + 'the token never appears in this configuration.',
      webhooks: [
        { path: 'page', sendResolved: true },
        { path: 'incident', sendResolved: true },
      ],
    },
    { name: 'warn', webhooks: [{ path: 'warn', sendResolved: true }] },
    { name: 'ticket', webhooks: [{ path: 'ticket', sendResolved: true }] },
    {
      name: 'deadmansswitch',
      comment: 'In a real deployment, the URL of the dead man\'s switch service. The heartbeat '
        + 'never resolves, so there is nothing to send on resolution.',
      webhooks: [{ path: 'deadmansswitch', sendResolved: false }],
    },
  ],
};

/** A route of alertmanager.yml, as Alertmanager reads it. */
export interface AlertmanagerRoute {
  receiver: string;
  matchers?: string[];
  group_by?: string[];
  group_wait: string;
  group_interval: string;
  repeat_interval: string;
  routes?: AlertmanagerRoute[];
}

/** A webhook of alertmanager.yml, with the bearer token it sends when it needs one. */
export interface AlertmanagerWebhook {
  url: string;
  send_resolved: boolean;
  http_config?: {
    authorization: { type: 'Bearer'; credentials_file: string };
  };
}

/** A receiver of alertmanager.yml with its webhooks. */
export interface AlertmanagerReceiver {
  name: string;
  webhook_configs: AlertmanagerWebhook[];
}

/** An inhibit rule of alertmanager.yml. */
export interface AlertmanagerInhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

/** The parts of alertmanager.yml that srekit writes. */
export interface AlertmanagerConfig {
  route: AlertmanagerRoute;
  inhibit_rules: AlertmanagerInhibitRule[];
  receivers: AlertmanagerReceiver[];
}

/** Returns the route `spec` with the timing of its severity in `profile`. */
export function renderRoute(spec: RouteSpec, profile: Profile): AlertmanagerRoute {
  const timing = routeTiming(profile, spec.timing);
  return {
    receiver: spec.receiver,
    ...(spec.matchers.length > 0 ? { matchers: [...spec.matchers] } : {}),
    group_wait: formatDuration(timing.groupWait),
    group_interval: formatDuration(timing.groupInterval),
    repeat_interval: formatDuration(timing.repeatInterval),
  };
}

/** The destinations of the receivers' webhooks. */
export interface WebhookTargets {
  /** Base URL of the alert receiver, to which each {@link WebhookPath} is appended. */
  receiverUrl: string;
  /** Base URL of the incident server, to which {@link incidentWebhookPath} is appended. */
  incidentServerUrl: string;
  /** File that Alertmanager reads the incident server's bearer token from at each send. */
  incidentTokenFile: string;
}

/** Returns the receivers of `spec` with each webhook pointing at its target. */
export function renderReceivers(
  spec: RoutingSpec,
  targets: WebhookTargets,
): AlertmanagerReceiver[] {
  const receiverUrl = targets.receiverUrl.replace(/\/+$/, '');
  const incidentServerUrl = targets.incidentServerUrl.replace(/\/+$/, '');
  return spec.receivers.map((receiver) => ({
    name: receiver.name,
    webhook_configs: receiver.webhooks.map((webhook): AlertmanagerWebhook => {
      if (webhook.path !== 'incident') {
        return { url: `${receiverUrl}/${webhook.path}`, send_resolved: webhook.sendResolved };
      }
      return {
        url: `${incidentServerUrl}${incidentWebhookPath}`,
        send_resolved: webhook.sendResolved,
        http_config: {
          authorization: { type: 'Bearer', credentials_file: targets.incidentTokenFile },
        },
      };
    }),
  }));
}
