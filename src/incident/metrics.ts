import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { incidentStates, type IncidentState } from './model.js';
import type { AlertIntakeOutcome, AlertmanagerMessage } from './service-api.js';

/** The outcome of a webhook message: what it changed, or why it was rejected. */
export type WebhookOutcome = 'opened' | 'changed' | 'unchanged' | 'invalid' | 'failed';

/** Upper bounds, in seconds, of the request duration histogram. */
export const requestDurationBuckets: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

type HttpLabel = 'method' | 'route' | 'status_code';

/** Options of {@link IncidentMetrics}. */
export interface IncidentMetricsOptions {
  /** Counts incidents by state when Prometheus scrapes; states left out count 0. */
  countIncidentsByState(): Promise<Partial<Record<IncidentState, number>>>;
  /** Receives the error of a failed count; the scrape then shows no incident gauge. */
  onCountError(error: unknown): void;
  /** Whether to add Node.js process metrics; true by default. */
  processMetrics?: boolean;
}

/**
 * The metrics of the incident server, in their own registry: requests by
 * route and status, webhook messages and alerts by outcome, and incidents
 * by state.
 */
export class IncidentMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<HttpLabel>;
  private readonly requests: Counter<HttpLabel>;
  private readonly webhookMessages: Counter<'outcome'>;
  private readonly webhookAlerts: Counter<'status' | 'outcome'>;

  constructor(options: IncidentMetricsOptions) {
    const registers = [this.registry];
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response, in seconds.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [...requestDurationBuckets],
      registers,
    });
    // The same names and labels as the orders API, so one dashboard covers both.
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests completed, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.webhookMessages = new Counter({
      name: 'incident_webhook_messages_total',
      help: 'Alertmanager webhook messages received, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookAlerts = new Counter({
      name: 'incident_webhook_alerts_total',
      help: 'Alerts in Alertmanager webhook messages, by alert status and message outcome.',
      labelNames: ['status', 'outcome'],
      registers,
    });
    createIncidentGauge(registers, options);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Observes one finished request; `route` is the route template, such as `/v1/incidents/:ref`. */
  recordRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.requestDuration.observe(labels, seconds);
    this.requests.inc(labels);
  }

  /** Counts a webhook message and its alerts; `message` is absent when it was invalid. */
  recordWebhook(outcome: WebhookOutcome, message?: AlertmanagerMessage): void {
    this.webhookMessages.inc({ outcome });
    if (message === undefined) return;

    let firing = 0;
    for (const alert of message.alerts) if (alert.status === 'firing') firing++;
    if (firing > 0) this.webhookAlerts.inc({ status: 'firing', outcome }, firing);
    const resolved = message.alerts.length - firing;
    if (resolved > 0) this.webhookAlerts.inc({ status: 'resolved', outcome }, resolved);
  }
}

/** Maps what a message changed to its outcome label. */
export function webhookOutcomeOf(intake: AlertIntakeOutcome): WebhookOutcome {
  if (intake.opened) return 'opened';
  return intake.eventsAppended > 0 ? 'changed' : 'unchanged';
}

// A failed count leaves the gauge empty rather than failing the scrape, so
// the request metrics still reach Prometheus while the database is down.
function createIncidentGauge(registers: Registry[], options: IncidentMetricsOptions): void {
  new Gauge({
    name: 'incident_incidents',
    help: 'Incidents in the database, by state, counted at scrape time.',
    labelNames: ['state'],
    registers,
    async collect() {
      try {
        const counts = await options.countIncidentsByState();
        for (const state of incidentStates) this.set({ state }, counts[state] ?? 0);
      } catch (error) {
        this.reset();
        options.onCountError(error);
      }
    },
  });
}
