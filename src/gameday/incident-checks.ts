import type { IncidentRecord } from '../incident/index.js';
import type { IncidentCheck, MeasuredCheck } from './checks.js';
import {
  deliverWebhook, fetchIncidentRecords, incidentsOf, type IncidentMatch, type IncidentServer,
} from './incidents.js';
import {
  fetchNotifications, notificationMatches, type ReceivedNotification,
} from './notifications.js';
import { pollUntilFound } from './poll.js';

/** The inputs of an incident check besides the check itself. */
export interface IncidentCheckContext {
  server: IncidentServer;
  /** The alert receiver, whose record of the page notification the checks compare with. */
  receiverUrl: string;
  /** When the scenario acted, which is where the check's times start. */
  actedAt: Date;
  /** When the check gives up waiting. */
  deadline: Date;
  signal?: AbortSignal;
}

/** The incident an `opened` check found, for the report. */
export interface OpenedIncident {
  reference: string;
  /** Seconds from the act to the incident's creation at the server. */
  openedAfterSeconds: number;
}

const pollIntervalMs = 500;

/**
 * Runs an incident check. `monitoring` returns one result. `opened` returns
 * three: the time to open the incident, the runbook link it carries, and
 * the outcome of two more deliveries of the same notification. Those must
 * open no second incident and add no event, as when Alertmanager retries or
 * both Alertmanagers of an HA pair send.
 */
export async function runIncidentCheck(
  context: IncidentCheckContext,
  check: IncidentCheck,
): Promise<{ results: MeasuredCheck[]; opened?: OpenedIncident }> {
  if (check.outcome === 'monitoring') return { results: [await checkMonitoring(context, check)] };

  const record = await pollUntilFound(async () => {
    return incidentsOf(await fetchIncidentRecords(context.server), check.match)[0];
  }, context.deadline, context.signal, pollIntervalMs);
  if (record === undefined) return { results: [timed(check, undefined)] };

  const { incident } = record;
  const openedAfterSeconds = secondsBetween(context.actedAt, new Date(incident.createdAt));
  const page = await findPageNotification(context, check.match);
  return {
    results: [
      timed(check, openedAfterSeconds),
      runbookCheck(check, record, page),
      await repeatedDeliveryCheck(context, check, record, page),
    ],
    opened: { reference: incident.reference, openedAfterSeconds },
  };
}

async function checkMonitoring(
  context: IncidentCheckContext,
  check: IncidentCheck,
): Promise<MeasuredCheck> {
  const movedAt = await pollUntilFound(async () => {
    const records = incidentsOf(await fetchIncidentRecords(context.server), check.match);
    return records.map((record) => monitoringSince(record, context.actedAt)).find(Boolean);
  }, context.deadline, context.signal, pollIntervalMs);
  return timed(check, movedAt && secondsBetween(context.actedAt, movedAt));
}

/** Returns when the incident moved to monitoring at or after `since`, if it is there now. */
function monitoringSince(record: IncidentRecord, since: Date): Date | undefined {
  if (record.incident.state !== 'monitoring') return undefined;
  const moved = [...record.events].reverse().find((event) => event.body.type === 'state_changed'
    && event.body.to === 'monitoring');
  if (moved === undefined || Date.parse(moved.at) < since.getTime()) return undefined;
  return new Date(moved.at);
}

function timed(check: IncidentCheck, observedSeconds: number | undefined): MeasuredCheck {
  return {
    name: check.name,
    expectedMaxSeconds: check.expectedMaxSeconds,
    observedSeconds,
    passed: observedSeconds !== undefined && observedSeconds <= check.expectedMaxSeconds,
  };
}

/**
 * Finds the latest firing notification of the alert at the page receiver.
 * It has the same body as the one the incident server received, because
 * both are webhooks of the page receiver.
 */
async function findPageNotification(
  context: IncidentCheckContext,
  match: IncidentMatch,
): Promise<ReceivedNotification | undefined> {
  const notifications = await fetchNotifications(context.receiverUrl);
  return [...notifications].reverse().find((notification) => notificationMatches(notification, {
    receiver: 'page', alertname: match.alertname, status: 'firing', labels: match.labels,
  }));
}

function runbookCheck(
  check: IncidentCheck,
  record: IncidentRecord,
  page: ReceivedNotification | undefined,
): MeasuredCheck {
  const alert = page?.payload.alerts?.find((candidate) =>
    candidate.labels?.alertname === check.match.alertname);
  const expected = alert?.annotations?.runbook_url;
  const observed = record.incident.runbookUrls;
  // The table shows paths because they are shorter, and the report's
  // incident section shows the whole links.
  return {
    name: `incident of ${check.alert} links its runbook`,
    expectedMaxSeconds: undefined,
    observedSeconds: undefined,
    expectedValue: expected === undefined ? 'the runbook_url of the page' : pathOf(expected),
    observedValue: observed.length === 0 ? 'no runbook link' : observed.map(pathOf).join(', '),
    passed: expected !== undefined && observed.includes(expected),
  };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

async function repeatedDeliveryCheck(
  context: IncidentCheckContext,
  check: IncidentCheck,
  record: IncidentRecord,
  page: ReceivedNotification | undefined,
): Promise<MeasuredCheck> {
  const name = `${check.alert} opened one incident for repeated deliveries`;
  const expectedValue = '1 incident, 0 new events';
  if (page === undefined) {
    return {
      name, expectedMaxSeconds: undefined, observedSeconds: undefined, expectedValue,
      observedValue: 'no page notification to deliver again', passed: false,
    };
  }

  // The second copy names another Alertmanager, as the peer of an HA pair would.
  await deliverWebhook(context.server, page.payload);
  await deliverWebhook(context.server, { ...page.payload, externalURL: 'http://alertmanager-peer:9093' });
  const after = incidentsOf(await fetchIncidentRecords(context.server), check.match);
  const same = after.find((each) => each.incident.number === record.incident.number);
  const added = same === undefined ? 0 : countAlertEvents(same) - countAlertEvents(record);
  const observedValue = `${after.length} incident${after.length === 1 ? '' : 's'}, `
    + `${added} new event${added === 1 ? '' : 's'}`;
  return {
    name, expectedMaxSeconds: undefined, observedSeconds: undefined, expectedValue,
    observedValue, passed: observedValue === expectedValue,
  };
}

// Only alert events count: a person or a reminder may add others meanwhile.
function countAlertEvents(record: IncidentRecord): number {
  return record.events.filter((event) => event.body.type === 'alert_firing'
    || event.body.type === 'alert_resolved' || event.body.type === 'declared').length;
}

function secondsBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 1000;
}
