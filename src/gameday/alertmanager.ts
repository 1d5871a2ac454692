import { pollUntilFound } from './poll.js';

/** One alert as Alertmanager's API v2 lists it, with the fields the game day reads. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  status: {
    /** `suppressed` while a silence or an inhibit rule mutes the alert. */
    state: 'active' | 'suppressed' | 'unprocessed';
    /** Fingerprints of the firing alerts that inhibit this one. */
    inhibitedBy: string[];
  };
}

/**
 * The state of an alert at Alertmanager that a game day check waits for:
 * `inhibited` while an inhibit rule mutes it, `resolved` once Alertmanager
 * lists no firing alert of that name.
 */
export interface AlertmanagerMatch {
  alertname: string;
  state: 'inhibited' | 'resolved';
}

/**
 * Fetches the alerts called `alertname` that Alertmanager lists. Its API
 * leaves resolved alerts out.
 */
export async function fetchAlertmanagerAlerts(
  alertmanagerUrl: string,
  alertname: string,
): Promise<AlertmanagerAlert[]> {
  const url = new URL('/api/v2/alerts', alertmanagerUrl);
  url.searchParams.set('filter', `alertname="${alertname}"`);
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) {
    throw new Error(`Alertmanager ${alertmanagerUrl} returned HTTP ${response.status} for `
      + `${url.pathname}${url.search}: ${await response.text()}`);
  }
  return (await response.json()) as AlertmanagerAlert[];
}

/** Returns true when the alerts that Alertmanager lists fit `match`. */
export function alertmanagerMatches(
  alerts: AlertmanagerAlert[],
  match: AlertmanagerMatch,
): boolean {
  if (match.state === 'resolved') return alerts.length === 0;
  return alerts.some((alert) => alert.status.state === 'suppressed'
    && alert.status.inhibitedBy.length > 0);
}

/**
 * Polls Alertmanager until its alerts fit `match`, and returns the time it
 * first saw them do so. Returns undefined at the deadline, and throws the
 * signal's reason when `signal` aborts.
 */
export async function waitForAlertmanager(
  alertmanagerUrl: string,
  match: AlertmanagerMatch,
  deadline: Date,
  signal?: AbortSignal,
  pollIntervalMs = 250,
): Promise<Date | undefined> {
  return pollUntilFound(async () => {
    const alerts = await fetchAlertmanagerAlerts(alertmanagerUrl, match.alertname);
    return alertmanagerMatches(alerts, match) ? new Date() : undefined;
  }, deadline, signal, pollIntervalMs);
}
