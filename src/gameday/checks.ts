import type { AlertmanagerMatch } from './alertmanager.js';
import type { RatioAlert, WatchedAlert } from './alerts.js';
import {
  deliveryAllowanceSeconds, maxSecondsToDetect, maxSecondsToDetectBurn, maxSecondsToResolve,
  maxSecondsToResolveBurn, maxSecondsToStopFiring,
  type AlertTiming, type BurnAlertTiming,
} from './expectations.js';
import type { IncidentMatch } from './incidents.js';
import type { NotificationMatch } from './notifications.js';
import type { CheckResult } from './report.js';

/** A notification that must arrive, and the longest it may take. */
export interface NotificationCheck {
  kind: 'notification';
  name: string;
  match: NotificationMatch;
  expectedMaxSeconds: number;
}

/** A state that an alert must reach at Alertmanager, and the longest it may take. */
export interface AlertmanagerCheck {
  kind: 'alertmanager';
  name: string;
  match: AlertmanagerMatch;
  expectedMaxSeconds: number;
}

/**
 * A notification that must not arrive from the act of scenario `since` to
 * the end of the check's own scenario. The check looks once the scenario's
 * other checks have finished and `settleSeconds` more have gone by, so a
 * notification that their outcomes set off has time to arrive.
 */
export interface AbsenceCheck {
  kind: 'absence';
  name: string;
  match: NotificationMatch;
  since: string;
  settleSeconds: number;
}

/**
 * An incident that an alert must open at the incident server, or move to
 * `monitoring` once it resolves, and the longest that may take.
 */
export interface IncidentCheck {
  kind: 'incident';
  name: string;
  /** The alert as {@link describeAlert} names it, for the report. */
  alert: string;
  match: IncidentMatch;
  outcome: 'opened' | 'monitoring';
  expectedMaxSeconds: number;
}

/** One outcome a scenario waits for. */
export type CheckSpec = NotificationCheck | AlertmanagerCheck | AbsenceCheck | IncidentCheck;

/**
 * The result of a check that a scenario's act measured itself, such as the
 * time a restore took. The game day adds the scenario id.
 */
export type MeasuredCheck = Omit<CheckResult, 'scenario'>;

/**
 * Names the alert as a selector with the labels that tell its variants
 * apart, such as SloErrorBudgetBurn{tier="fast"}.
 */
export function describeAlert(alert: WatchedAlert): string {
  const labels = Object.entries(alert.labels)
    .filter(([name]) => name === 'tier')
    .map(([name, value]) => `${name}="${value}"`);
  return labels.length === 0 ? alert.alertname : `${alert.alertname}{${labels.join(', ')}}`;
}

function notificationMatch(
  alert: WatchedAlert,
  status: NotificationMatch['status'],
): NotificationMatch {
  return { receiver: alert.receiver, alertname: alert.alertname, status, labels: alert.labels };
}

/** Expects the firing notification of `alert` at its receiver within the bound of `timing`. */
export function firing(alert: WatchedAlert, timing: AlertTiming): NotificationCheck {
  return {
    kind: 'notification',
    name: `${describeAlert(alert)} firing at the ${alert.receiver} receiver`,
    match: notificationMatch(alert, 'firing'),
    expectedMaxSeconds: maxSecondsToDetect(timing),
  };
}

/** Expects the resolved notification of `alert` at its receiver within the bound of `timing`. */
export function resolved(alert: WatchedAlert, timing: AlertTiming): NotificationCheck {
  return {
    kind: 'notification',
    name: `${describeAlert(alert)} resolved at the ${alert.receiver} receiver`,
    match: notificationMatch(alert, 'resolved'),
    expectedMaxSeconds: maxSecondsToResolve(timing),
  };
}

/** Expects the firing notification of a burn-rate alert within its bound. */
export function burnFiring(alert: WatchedAlert, timing: BurnAlertTiming): NotificationCheck {
  return { ...firing(alert, timing), expectedMaxSeconds: maxSecondsToDetectBurn(timing) };
}

/** Expects the resolved notification of a burn-rate alert within its bound. */
export function burnResolved(alert: WatchedAlert, timing: BurnAlertTiming): NotificationCheck {
  return { ...resolved(alert, timing), expectedMaxSeconds: maxSecondsToResolveBurn(timing) };
}

/**
 * Expects Alertmanager to list `alert` as inhibited. An inhibited alert is
 * marked when Alertmanager first processes its group, so the bound includes
 * `group_wait`.
 */
export function inhibited(alert: RatioAlert, timing: AlertTiming): AlertmanagerCheck {
  return {
    kind: 'alertmanager',
    name: `${describeAlert(alert)} inhibited at Alertmanager`,
    match: { alertname: alert.alertname, state: 'inhibited' },
    expectedMaxSeconds: maxSecondsToDetect(timing),
  };
}

/** Expects Alertmanager to list no firing `alert` any more. */
export function resolvedAtAlertmanager(alert: RatioAlert, timing: AlertTiming): AlertmanagerCheck {
  return {
    kind: 'alertmanager',
    name: `${describeAlert(alert)} resolved at Alertmanager`,
    match: { alertname: alert.alertname, state: 'resolved' },
    expectedMaxSeconds: maxSecondsToStopFiring(timing),
  };
}

/**
 * Expects no firing notification of `alert` at its receiver from the act of
 * scenario `since` on. It looks one `group_interval` and the delivery
 * allowance after the scenario's other checks, the time Alertmanager takes
 * to send a group whose inhibition ended.
 */
export function neverFiring(alert: WatchedAlert, since: string): AbsenceCheck {
  return {
    kind: 'absence',
    name: `${describeAlert(alert)} not sent to the ${alert.receiver} receiver`,
    match: notificationMatch(alert, 'firing'),
    since,
    settleSeconds: alert.timing.groupInterval + deliveryAllowanceSeconds,
  };
}

/**
 * Expects the incident server to open an incident for `alert`. The page
 * receiver sends each notification to the pager and to the incident server
 * at once, so the bound is that of the `page` notification check.
 */
export function incidentOpened(alert: WatchedAlert, page: NotificationCheck): IncidentCheck {
  return {
    kind: 'incident',
    name: `${describeAlert(alert)} opened an incident`,
    alert: describeAlert(alert),
    match: { alertname: alert.alertname, labels: alert.labels },
    outcome: 'opened',
    expectedMaxSeconds: page.expectedMaxSeconds,
  };
}

/**
 * Expects the incident of `alert` to move to `monitoring` when the alert
 * resolves, within the bound of the `resolved` notification check.
 */
export function incidentMonitoring(
  alert: WatchedAlert,
  resolved: NotificationCheck,
): IncidentCheck {
  return {
    kind: 'incident',
    name: `incident of ${describeAlert(alert)} moved to monitoring`,
    alert: describeAlert(alert),
    match: { alertname: alert.alertname, labels: alert.labels },
    outcome: 'monitoring',
    expectedMaxSeconds: resolved.expectedMaxSeconds,
  };
}
