import { SrekitError } from '../common/errors.js';

/** Urgency of an alert: a page needs a human now, a warning today, a ticket when convenient. */
export type Severity = 'page' | 'warn' | 'ticket';

/**
 * The `severity` label of an alert rule: a {@link Severity}, or `none` for an
 * alert that notifies no person, such as the Watchdog heartbeat.
 */
export type SeverityLabel = Severity | 'none';

/** Every severity, most urgent first. */
export const severities: readonly Severity[] = ['page', 'warn', 'ticket'];

/** Alertmanager's batching for one route, in seconds. */
export interface NotificationTiming {
  /** Wait before the first notification of a new group. */
  groupWait: number;
  /** Wait before notifying changes to a group that was already notified. */
  groupInterval: number;
  /** Wait before sending an unchanged, still firing group again. */
  repeatInterval: number;
}

/** The names of the built-in profiles. */
export type ProfileName = 'production' | 'gameday';

/**
 * A set of timings that the alert policy and the monitoring configuration are
 * rendered for. All durations are in seconds.
 */
export interface Profile {
  name: ProfileName;
  scrapeInterval: number;
  scrapeTimeout: number;
  evaluationInterval: number;
  /**
   * Divisor applied to every rule window and `for` duration: 1 keeps the
   * policy as written, 20 runs it twenty times faster.
   */
  speedup: number;
  /**
   * Smallest rate window, in scrape intervals. rate() needs two samples in
   * the window, and four leave room for one failed or late scrape.
   */
  minRateWindowScrapes: number;
  /**
   * Seconds between Prometheus's sends of a still firing alert to
   * Alertmanager (`--rules.alert.resend-delay`). A firing alert that
   * Prometheus could not deliver, because it had not found Alertmanager yet,
   * arrives only at the next resend.
   */
  alertResendDelay: number;
  /** Alertmanager route timing for each severity. */
  notifications: Record<Severity, NotificationTiming>;
  /**
   * Alertmanager route timing of the Watchdog heartbeat to the dead man's
   * switch. Its repeat interval sets how often the heartbeat is sent.
   */
  heartbeat: NotificationTiming;
}

/**
 * The timings of a real deployment. The policy's windows apply as written.
 * Pages go out 10 s after the first alert of a group, because the rule has
 * already waited its `for`. Tickets wait 2 minutes to collect related alerts.
 * The Watchdog heartbeat goes out once a minute. Alertmanager (0.25, measured)
 * resends a group only at a group_interval tick when more than
 * repeat_interval has passed since the last send. A repeat interval equal to
 * the group interval would skip every other tick, so 50 s makes every tick send.
 * monitoring/alertmanager/alertmanager.yml repeats these values, and a test
 * keeps the two equal.
 */
export const productionProfile: Profile = {
  name: 'production',
  scrapeInterval: 15,
  scrapeTimeout: 10,
  evaluationInterval: 15,
  speedup: 1,
  minRateWindowScrapes: 4,
  alertResendDelay: 60,
  notifications: {
    page: { groupWait: 10, groupInterval: 120, repeatInterval: 3_600 },
    warn: { groupWait: 30, groupInterval: 300, repeatInterval: 14_400 },
    ticket: { groupWait: 120, groupInterval: 1_800, repeatInterval: 86_400 },
  },
  heartbeat: { groupWait: 0, groupInterval: 60, repeatInterval: 50 },
};

/**
 * The timings of a game day on the local stack: one-second scrapes and
 * evaluations, and every window and `for` twenty times shorter, so a
 * ten-minute window lasts 30 s. Alertmanager batches for 1 s and sends group
 * changes, such as a resolution, within 2 s. The heartbeat goes out every
 * 5 s, slower than a scaled minute, so it does not flood the receiver's log.
 */
export const gamedayProfile: Profile = {
  name: 'gameday',
  scrapeInterval: 1,
  scrapeTimeout: 1,
  evaluationInterval: 1,
  speedup: 20,
  minRateWindowScrapes: 4,
  alertResendDelay: 3,
  notifications: {
    page: { groupWait: 1, groupInterval: 2, repeatInterval: 600 },
    warn: { groupWait: 1, groupInterval: 2, repeatInterval: 600 },
    ticket: { groupWait: 1, groupInterval: 2, repeatInterval: 600 },
  },
  heartbeat: { groupWait: 0, groupInterval: 5, repeatInterval: 4 },
};

/** The built-in profiles by name. */
export const profiles: Readonly<Record<ProfileName, Profile>> = {
  production: productionProfile,
  gameday: gamedayProfile,
};

/** Returns the route timing that alerts labelled `severity` follow in `profile`. */
export function routeTiming(profile: Profile, severity: SeverityLabel): NotificationTiming {
  return severity === 'none' ? profile.heartbeat : profile.notifications[severity];
}

/** Returns the profile called `name`, or throws INVALID_INPUT naming the known ones. */
export function getProfile(name: string): Profile {
  if (name === 'production' || name === 'gameday') return profiles[name];
  throw new SrekitError('INVALID_INPUT', `unknown profile "${name}"`, {
    hint: `use one of: ${Object.keys(profiles).join(', ')}`,
  });
}
