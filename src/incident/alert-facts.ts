import {
  checkChoice, checkText, checkTime, invalidInput, maxTitleLength,
} from './input-checks.js';
import { severities, type AlertFacts, type Severity } from './model.js';
import type { AlertmanagerAlert, AlertmanagerMessage } from './service-api.js';

/**
 * Checks the fields that the intake relies on, for callers that pass a
 * message without the webhook's schema validation. Raises INVALID_INPUT.
 */
export function checkAlertMessage(message: AlertmanagerMessage): void {
  checkText('groupKey', message.groupKey, Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(message.alerts)) {
    throw invalidInput('alerts', message.alerts, 'it must be a list of alerts');
  }
  if (!Number.isSafeInteger(message.truncatedAlerts) || message.truncatedAlerts < 0) {
    throw invalidInput('truncatedAlerts', message.truncatedAlerts, 'it must be a count');
  }
  for (const alert of message.alerts) {
    checkText('alert fingerprint', alert.fingerprint, Number.MAX_SAFE_INTEGER);
    checkChoice('alert status', alert.status, ['firing', 'resolved']);
    checkTime('alert startsAt', alert.startsAt);
  }
}

/** Returns the facts of an alert that its timeline events keep. */
export function factsOf(alert: AlertmanagerAlert, groupKey: string): AlertFacts {
  return {
    fingerprint: alert.fingerprint,
    alertname: alert.labels.alertname ?? alert.fingerprint,
    startsAt: normalizeTime(alert.startsAt),
    labels: alert.labels,
    annotations: alert.annotations,
    groupKey,
  };
}

/** Returns whether the alert pages, which `severity="page"` marks. */
export function isPage(alert: AlertmanagerAlert): boolean {
  return alert.labels.severity === 'page';
}

/** Returns the severity that a valid `incident_severity` label requests. */
export function severityLabel(alert: AlertmanagerAlert): Severity | undefined {
  const label = alert.labels.incident_severity?.trim().toUpperCase();
  return severities.find((severity) => severity === label);
}

/** Returns the affected service: the `service` label, else `job`. */
export function serviceOf(alert: AlertmanagerAlert): string | undefined {
  const service = alert.labels.service ?? alert.labels.job;
  return service === undefined || service.trim() === '' ? undefined : service.trim();
}

/** Returns the title: the `summary` annotation, else alert name and fingerprint. */
export function titleOf(alert: AlertmanagerAlert): string {
  const summary = alert.annotations.summary?.trim();
  const title = summary !== undefined && summary !== ''
    ? summary
    : `${alert.labels.alertname ?? 'alert'} ${alert.fingerprint}`.trim();
  return title.slice(0, maxTitleLength);
}

/**
 * Writes a time in UTC with milliseconds, so that one start time written two
 * ways (`+00:00` or `Z`, nanoseconds) by two Alertmanagers names one firing.
 * Text that is no time stays as it is.
 */
function normalizeTime(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? text : new Date(time).toISOString();
}
