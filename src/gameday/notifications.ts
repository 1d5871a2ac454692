import { pollUntilFound } from './poll.js';

/** One Alertmanager webhook delivery as the local receiver recorded it. */
export interface ReceivedNotification {
  receiver: string;
  receivedAt: string;
  payload: {
    status?: string;
    alerts?: Array<{
      status?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }>;
  };
}

/** The notification a game day check waits for: an alert in a given state at a receiver. */
export interface NotificationMatch {
  receiver: string;
  alertname: string;
  status: 'firing' | 'resolved';
  /** Further labels the alert must carry, such as the `tier` of an SLO burn. */
  labels?: Record<string, string>;
}

/** Fetches every notification the local receiver has recorded so far. */
export async function fetchNotifications(receiverUrl: string): Promise<ReceivedNotification[]> {
  const response = await fetch(new URL('/notifications', receiverUrl), {
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) {
    throw new Error(`alert receiver ${receiverUrl} returned HTTP ${response.status} for /notifications`);
  }
  return (await response.json()) as ReceivedNotification[];
}

/** Returns true when `notification` carries an alert that fits `match`. */
export function notificationMatches(
  notification: ReceivedNotification,
  match: NotificationMatch,
): boolean {
  if (notification.receiver !== match.receiver) return false;
  const expected = { ...match.labels, alertname: match.alertname };
  return (notification.payload.alerts ?? []).some((alert) => alert.status === match.status
    && Object.entries(expected).every(([name, value]) => alert.labels?.[name] === value));
}

/**
 * Polls the receiver until a notification fitting `match` arrives at or after
 * `since`, and returns its arrival time. Returns undefined at the deadline,
 * and throws the signal's reason when `signal` aborts.
 */
export async function waitForNotification(
  receiverUrl: string,
  match: NotificationMatch,
  since: Date,
  deadline: Date,
  signal?: AbortSignal,
  pollIntervalMs = 250,
): Promise<Date | undefined> {
  return pollUntilFound(async () => {
    const found = (await fetchNotifications(receiverUrl)).find(
      (notification) => new Date(notification.receivedAt) >= since
        && notificationMatches(notification, match),
    );
    return found ? new Date(found.receivedAt) : undefined;
  }, deadline, signal, pollIntervalMs);
}
