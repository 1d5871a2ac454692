import type { Incident, IncidentEvent, IncidentRecord } from '../incident/index.js';

/** The incident server of the stack and the bearer token of its /v1 API. */
export interface IncidentServer {
  url: string;
  token: string;
}

/** The alert whose incident a game day check looks for: its name and some of its labels. */
export interface IncidentMatch {
  alertname: string;
  labels: Record<string, string>;
}

/** The path of the incident server's Alertmanager webhook. */
const webhookPath = '/v1/webhooks/alertmanager';

async function getJson<T>(server: IncidentServer, path: string): Promise<T> {
  const response = await fetch(new URL(path, server.url), {
    headers: { authorization: `Bearer ${server.token}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) {
    throw new Error(`incident server ${server.url} returned HTTP ${response.status} for ${path}: `
      + `${await response.text()}`);
  }
  return (await response.json()) as T;
}

/** Fetches every incident with its timeline, oldest first. */
export async function fetchIncidentRecords(server: IncidentServer): Promise<IncidentRecord[]> {
  const { incidents } = await getJson<{ incidents: Incident[] }>(server, '/v1/incidents');
  const sorted = [...incidents].sort((a, b) => a.number - b.number);
  return Promise.all(sorted.map((incident) =>
    getJson<IncidentRecord>(server, `/v1/incidents/${incident.reference}`)));
}

/** Returns true when `event` records the firing of an alert that fits `match`. */
export function isFiringOf(event: IncidentEvent, match: IncidentMatch): boolean {
  if (event.body.type !== 'alert_firing') return false;
  const { alert } = event.body;
  return alert.alertname === match.alertname
    && Object.entries(match.labels).every(([name, value]) => alert.labels[name] === value);
}

/** Returns the incidents whose timeline records a firing of the alert `match` names. */
export function incidentsOf(records: IncidentRecord[], match: IncidentMatch): IncidentRecord[] {
  return records.filter((record) => record.events.some((event) => isFiringOf(event, match)));
}

/**
 * Sends an Alertmanager webhook body to the incident server, as Alertmanager
 * does when it retries a delivery or when both Alertmanagers of an HA pair
 * send one notification. Throws unless the server responds with 2xx.
 */
export async function deliverWebhook(server: IncidentServer, body: unknown): Promise<void> {
  const response = await fetch(new URL(webhookPath, server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) {
    throw new Error(`incident server ${server.url} returned HTTP ${response.status} for a `
      + `repeated webhook delivery: ${await response.text()}`);
  }
}
