import { createHash } from 'node:crypto';
import type { AlertmanagerAlert, AlertmanagerMessage } from '../../src/incident/service-api.js';
import { SeededRandom } from '../backup/random.js';

/** `endsAt` of a firing alert, as Alertmanager writes it. */
const zeroTime = '0001-01-01T00:00:00Z';

/** The time the generated alerts start from. */
const baseTime = Date.parse('2026-12-04T20:00:00.000Z');

/** Share of groups whose alerts have `severity="page"`, in percent. */
const pageGroupPercent = 70;

/** One webhook request: its JSON body and which copy of its message it is. */
export interface Delivery {
  body: Buffer;
  /** The copy number: copies 0 and 1 are identical, and copy 2 is the HA peer's. */
  copy: 0 | 1 | 2;
}

/**
 * The generated messages in waves. Wave k contains the k-th message of every
 * group, each delivered three times in shuffled order. A group's next
 * message is sent only after every delivery of the wave before it has a
 * response, because Alertmanager waits `group_interval` between two
 * notifications of a group.
 */
export interface Workload {
  waves: Delivery[][];
  messages: number;
  deliveries: number;
  /** The group keys of page groups, each of which must open one incident. */
  pageGroups: Set<string>;
  /** Alert firings of page groups, as `fingerprint startsAt`, each recorded once. */
  firings: Set<string>;
  /** Alert resolutions of page groups, as `fingerprint startsAt`. */
  resolutions: Set<string>;
}

/** The incidents and alert events that a workload must leave in the database. */
export type ExpectedRecords = Pick<Workload, 'pageGroups' | 'firings' | 'resolutions'>;

/** The first group number of the warm-up workload, far above those of the measured one. */
export const warmupFirstGroup = 1_000_001;

/**
 * Generates `messageCount` Alertmanager messages from seeded random groups.
 * A page group sends one message per new alert (the group grows), then one
 * with its first alert resolved and one with all resolved. A group of
 * warning or ticket alerts sends a firing and a resolved message and must
 * open nothing. The last group is cut short to reach the exact count.
 * Groups are numbered from `firstGroup`, so two workloads with different
 * numbers share no group key or fingerprint.
 */
export function generateWorkload(messageCount: number, seed: number, firstGroup = 1): Workload {
  const random = new SeededRandom(seed, 'incident-workload');
  const workload: Workload = {
    waves: [], messages: 0, deliveries: 0,
    pageGroups: new Set(), firings: new Set(), resolutions: new Set(),
  };
  for (let group = firstGroup; workload.messages < messageCount; group += 1) {
    const page = random.below(100) < pageGroupPercent;
    const messages = page ? pageGroupMessages(group, random) : otherGroupMessages(group, random);
    const included = messages.slice(0, messageCount - workload.messages);
    included.forEach((message, index) => addMessage(workload, index, message, random));
    if (page) recordExpected(workload, included);
  }
  for (const wave of workload.waves) shuffle(wave, random);
  return workload;
}

function addMessage(
  workload: Workload, wave: number, message: AlertmanagerMessage, random: SeededRandom,
): void {
  const deliveries = workload.waves[wave] ?? [];
  workload.waves[wave] = deliveries;
  const body = Buffer.from(JSON.stringify(message));
  deliveries.push({ body, copy: 0 }, { body, copy: 1 });
  deliveries.push({ body: Buffer.from(JSON.stringify(peerCopy(message, random))), copy: 2 });
  workload.messages += 1;
  workload.deliveries += 3;
}

function recordExpected(workload: Workload, messages: readonly AlertmanagerMessage[]): void {
  const first = messages[0];
  if (first === undefined) return;
  workload.pageGroups.add(first.groupKey);
  for (const message of messages) {
    for (const alert of message.alerts) {
      const key = firingKey(alert.fingerprint, alert.startsAt);
      (alert.status === 'firing' ? workload.firings : workload.resolutions).add(key);
    }
  }
}

/** Returns the union of what the workloads must leave in the database. */
export function combineExpected(workloads: readonly (Workload | undefined)[]): ExpectedRecords {
  const expected: ExpectedRecords = {
    pageGroups: new Set(), firings: new Set(), resolutions: new Set(),
  };
  for (const workload of workloads) {
    if (workload === undefined) continue;
    for (const key of workload.pageGroups) expected.pageGroups.add(key);
    for (const key of workload.firings) expected.firings.add(key);
    for (const key of workload.resolutions) expected.resolutions.add(key);
  }
  return expected;
}

/** Names one firing of an alert, as the intake path and the check both do. */
export function firingKey(fingerprint: string, startsAt: string): string {
  return `${fingerprint} ${new Date(Date.parse(startsAt)).toISOString()}`;
}

function pageGroupMessages(group: number, random: SeededRandom): AlertmanagerMessage[] {
  const service = `svc-${group}`;
  const alerts: AlertmanagerAlert[] = [];
  const count = random.between(1, 4);
  for (let index = 0; index < count; index += 1) {
    // The first alert pages; later ones page or warn, and a few raise the severity.
    const severity = index === 0 || random.below(2) === 0 ? 'page' : 'warn';
    const extra: Record<string, string> = index > 0 && random.below(5) === 0
      ? { incident_severity: 'SEV1' } : {};
    alerts.push(makeAlert(group, index, { severity, service, ...extra }));
  }

  const messages: AlertmanagerMessage[] = [];
  for (let size = 1; size <= count; size += 1) {
    messages.push(makeMessage(group, alerts.slice(0, size)));
  }
  if (count > 1) messages.push(makeMessage(group, [resolved(alerts[0]), ...alerts.slice(1)]));
  messages.push(makeMessage(group, alerts.map(resolved)));
  return messages;
}

function otherGroupMessages(group: number, random: SeededRandom): AlertmanagerMessage[] {
  const severity = random.below(2) === 0 ? 'warn' : 'ticket';
  const alerts = Array.from({ length: random.between(1, 3) },
    (_, index) => makeAlert(group, index, { severity, service: `svc-${group}` }));
  return [makeMessage(group, alerts), makeMessage(group, alerts.map(resolved))];
}

function makeAlert(
  group: number, index: number, labels: Record<string, string>,
): AlertmanagerAlert {
  const alertname = index === 0 ? 'OrdersErrorRatioHigh' : `OrdersSymptom${index}`;
  const allLabels = { alertname, instance: `10.0.${group % 250}.${index + 1}:8080`,
    job: 'orders', ...labels };
  const startsAt = new Date(baseTime + group * 1000 + index * 60_000).toISOString();
  return {
    status: 'firing',
    labels: allLabels,
    annotations: {
      summary: `${alertname} on ${labels.service ?? 'orders'}`,
      description: `Generated by the incident bench for group ${group}.`,
      runbook_url: 'https://runbooks.example.org/orders/error-ratio',
    },
    startsAt,
    endsAt: zeroTime,
    generatorURL: `http://prometheus-a:9090/graph?g0.expr=${alertname}`,
    // Alertmanager's fingerprints are 16 hexadecimal digits derived from the labels.
    fingerprint: createHash('sha256').update(JSON.stringify(allLabels)).digest('hex').slice(0, 16),
  };
}

function resolved(alert: AlertmanagerAlert | undefined): AlertmanagerAlert {
  if (alert === undefined) throw new Error('a group has no alert to resolve');
  const endsAt = new Date(Date.parse(alert.startsAt) + 30 * 60_000).toISOString();
  return { ...alert, status: 'resolved', endsAt };
}

/** Builds a message of a group that Alertmanager groups by `service`. */
function makeMessage(group: number, alerts: AlertmanagerAlert[]): AlertmanagerMessage {
  const groupLabels = { service: `svc-${group}` };
  return {
    version: '4',
    groupKey: `{}:{service="svc-${group}"}`,
    truncatedAlerts: 0,
    status: alerts.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'incident-webhook',
    groupLabels,
    commonLabels: commonEntries(alerts.map((alert) => alert.labels)),
    commonAnnotations: commonEntries(alerts.map((alert) => alert.annotations)),
    externalURL: 'http://alertmanager-a:9093',
    alerts,
  };
}

/**
 * Returns the copy that the second Alertmanager of an HA pair sends: its own
 * receiver name and URL and the alerts in another order, but the same
 * fingerprints and start times.
 */
function peerCopy(message: AlertmanagerMessage, random: SeededRandom): AlertmanagerMessage {
  const alerts = [...message.alerts];
  if (alerts.length > 1) shuffle(alerts, random);
  if (alerts.length > 1 && alerts.every((alert, index) => alert === message.alerts[index])) {
    alerts.reverse();
  }
  return {
    ...message, receiver: 'incident-webhook-b', externalURL: 'http://alertmanager-b:9093', alerts,
  };
}

function commonEntries(maps: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (first === undefined) return {};
  return Object.fromEntries(Object.entries(first)
    .filter(([name, value]) => rest.every((map) => map[name] === value)));
}

function shuffle<T>(items: T[], random: SeededRandom): void {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = random.below(index + 1);
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
}
