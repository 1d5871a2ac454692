import { sleep } from '../common/interrupt.js';
import { waitForAlertmanager } from './alertmanager.js';
import type {
  AbsenceCheck, AlertmanagerCheck, IncidentCheck, NotificationCheck,
} from './checks.js';
import { runIncidentCheck } from './incident-checks.js';
import { collectIncidents, type FollowedIncident, type IncidentsSeen } from './incident-report.js';
import type { IncidentServer } from './incidents.js';
import { fetchNotifications, notificationMatches, waitForNotification } from './notifications.js';
import { queryValues, waitUntil } from './prometheus.js';
import type { CheckResult, GamedayReport } from './report.js';
import type { GamedayStack, Scenario } from './scenarios.js';
import { TrafficDriver } from './traffic.js';

/** Seconds between progress lines while a check waits. */
const heartbeatSeconds = 10;

/** An event the game day reports while it runs. */
export type GamedayEvent =
  | { type: 'progress'; message: string }
  | { type: 'check'; result: CheckResult };

/**
 * When the traffic started, when each scenario acted, by scenario id, and
 * the incidents that checks saw open.
 */
interface Timeline {
  trafficStartedAt: Date;
  actedAt: Map<string, Date>;
  followed: FollowedIncident[];
}

/** The inputs of {@link runScenarios}. */
export interface ScenarioRun {
  stack: GamedayStack;
  scenarios: Scenario[];
  profile: GamedayReport['profile'];
  /** Steady traffic sent to the service for the whole run. */
  requestsPerSecond: number;
  /** Maximum wait for Prometheus to see every target up and traffic flowing. */
  warmUpTimeoutSeconds: number;
  /** Aborting ends the run early; the report then records the signal's reason. */
  signal?: AbortSignal;
  onEvent(event: GamedayEvent): void;
}

/**
 * Drives traffic against a running stack and runs each scenario in turn:
 * act, then wait for every outcome it must cause. Returns the report; the
 * caller owns the stack and stops it.
 */
export async function runScenarios(run: ScenarioRun): Promise<GamedayReport> {
  const startedAt = new Date();
  const traffic = new TrafficDriver(run.stack.endpoints.service, run.requestsPerSecond);
  const checks: CheckResult[] = [];
  let error: string | undefined;
  traffic.start();
  const timeline: Timeline = { trafficStartedAt: new Date(), actedAt: new Map(), followed: [] };
  try {
    await warmUp(run);
    for (const scenario of run.scenarios) {
      run.signal?.throwIfAborted();
      checks.push(...(await runScenario(run, scenario, timeline)));
    }
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  } finally {
    await traffic.stop();
  }
  const incidents = await readIncidents(run, timeline.followed);
  return {
    startedAt,
    finishedAt: new Date(),
    profile: run.profile,
    scenarios: run.scenarios.map(({ id, title }) => ({ id, title })),
    checks,
    traffic: traffic.snapshot(),
    ...(incidents === undefined ? {} : { incidents }),
    ...(error === undefined ? {} : { error }),
  };
}

function incidentServer(run: ScenarioRun): IncidentServer {
  return { url: run.stack.endpoints.incident, token: run.stack.incidentToken };
}

// The report shows the incidents even after a failed check, and a server
// that cannot be read leaves only their section out.
async function readIncidents(
  run: ScenarioRun,
  followed: FollowedIncident[],
): Promise<IncidentsSeen | undefined> {
  try {
    return await collectIncidents(incidentServer(run), followed);
  } catch (caught) {
    const reason = caught instanceof Error ? caught.message : String(caught);
    run.onEvent({ type: 'progress', message: `could not read the incidents: ${reason}` });
    return undefined;
  }
}

// Prometheus must see every target up and the service's traffic before a
// fault is injected, because an alert caused by the start-up would be
// counted as a detection.
async function warmUp(run: ScenarioRun): Promise<void> {
  const prometheus = run.stack.endpoints.prometheus;
  run.onEvent({ type: 'progress', message: 'waiting for Prometheus to see all targets up and traffic' });
  const ready = await waitUntil(async () => {
    const down = await queryValues(prometheus, 'up == 0');
    const targets = await queryValues(prometheus, 'up');
    const traffic = await queryValues(prometheus, 'sum(rate(http_requests_total[1m]))');
    return down.length === 0 && targets.length >= 3 && (traffic[0] ?? 0) > 0;
  }, run.warmUpTimeoutSeconds * 1000, run.signal);
  if (!ready) {
    throw new Error(`Prometheus at ${prometheus} did not see every target up with traffic within `
      + `${run.warmUpTimeoutSeconds} s; see its targets page at ${prometheus}/targets`);
  }
}

async function runScenario(
  run: ScenarioRun,
  scenario: Scenario,
  timeline: Timeline,
): Promise<CheckResult[]> {
  run.onEvent({ type: 'progress', message: `scenario ${scenario.id}: ${scenario.title}` });
  const actedAt = new Date();
  timeline.actedAt.set(scenario.id, actedAt);
  const progress = (message: string) => run.onEvent({ type: 'progress', message });
  const measured = (await scenario.act(run.stack, progress)) ?? [];
  const checks = scenario.checks({
    trafficSeconds: (actedAt.getTime() - timeline.trafficStartedAt.getTime()) / 1000,
    requestsPerSecond: run.requestsPerSecond,
  });
  const timed = checks.filter((check) => check.kind === 'notification'
    || check.kind === 'alertmanager');
  const results = measured.map((check) => emitResult(run, { scenario: scenario.id, ...check }));
  const waited = timed.map((check) => runCheck(run, scenario, check, actedAt));
  results.push(...await Promise.all(waited));
  for (const check of checks) {
    if (check.kind !== 'incident') continue;
    results.push(...await runIncidentStep(run, scenario, check, { actedAt, timeline }));
  }
  for (const check of checks) {
    if (check.kind === 'absence') results.push(await runAbsenceCheck(run, scenario, check, timeline));
  }
  return results;
}

async function runCheck(
  run: ScenarioRun,
  scenario: Scenario,
  check: NotificationCheck | AlertmanagerCheck,
  actedAt: Date,
): Promise<CheckResult> {
  if (!Number.isFinite(check.expectedMaxSeconds)) {
    throw new Error(`check "${check.name}" of scenario ${scenario.id} can never pass: the `
      + 'fault never brings its alert over the threshold');
  }
  // Wait well past the bound, so a slow run shows how slow it was instead of "not seen".
  const waitSeconds = Math.max(2 * check.expectedMaxSeconds, check.expectedMaxSeconds + 30);
  run.onEvent({
    type: 'progress',
    message: `waiting for ${check.name} (expected within ${check.expectedMaxSeconds.toFixed(1)} s)`,
  });
  const heartbeat = setInterval(() => {
    const waited = ((Date.now() - actedAt.getTime()) / 1000).toFixed(0);
    run.onEvent({ type: 'progress', message: `still waiting for ${check.name}: ${waited} s` });
  }, heartbeatSeconds * 1000);
  const deadline = new Date(actedAt.getTime() + waitSeconds * 1000);
  const { endpoints } = run.stack;
  const arrivedAt = await (check.kind === 'notification'
    ? waitForNotification(endpoints.receiver, check.match, actedAt, deadline, run.signal)
    : waitForAlertmanager(endpoints.alertmanager, check.match, deadline, run.signal)
  ).finally(() => clearInterval(heartbeat));
  const observedSeconds = arrivedAt && (arrivedAt.getTime() - actedAt.getTime()) / 1000;
  return emitResult(run, {
    scenario: scenario.id,
    name: check.name,
    expectedMaxSeconds: check.expectedMaxSeconds,
    observedSeconds,
    passed: observedSeconds !== undefined && observedSeconds <= check.expectedMaxSeconds,
  });
}

// Waits for an incident outcome, and follows an opened incident for the report.
async function runIncidentStep(
  run: ScenarioRun,
  scenario: Scenario,
  check: IncidentCheck,
  moment: { actedAt: Date; timeline: Timeline },
): Promise<CheckResult[]> {
  const { actedAt, timeline } = moment;
  run.onEvent({
    type: 'progress',
    message: `waiting for ${check.name} (expected within ${check.expectedMaxSeconds.toFixed(1)} s)`,
  });
  const waitSeconds = Math.max(2 * check.expectedMaxSeconds, check.expectedMaxSeconds + 30);
  const { results, opened } = await runIncidentCheck({
    server: incidentServer(run),
    receiverUrl: run.stack.endpoints.receiver,
    actedAt,
    deadline: new Date(actedAt.getTime() + waitSeconds * 1000),
    signal: run.signal,
  }, check);
  if (opened !== undefined) {
    const { alert, match } = check;
    timeline.followed.push({ scenario: scenario.id, alert, match, actedAt });
    run.onEvent({
      type: 'progress',
      message: `incident ${opened.reference} opened ${opened.openedAfterSeconds.toFixed(1)} s `
        + 'after the fault',
    });
  }
  return results.map((result) => emitResult(run, { scenario: scenario.id, ...result }));
}

// Looks once, after the settle time, for a notification that must not have
// arrived since the act of an earlier scenario.
async function runAbsenceCheck(
  run: ScenarioRun,
  scenario: Scenario,
  check: AbsenceCheck,
  timeline: Timeline,
): Promise<CheckResult> {
  const since = timeline.actedAt.get(check.since);
  if (since === undefined) {
    throw new Error(`check "${check.name}" of scenario ${scenario.id} looks back to scenario `
      + `${check.since}, which has not run before it`);
  }
  run.onEvent({
    type: 'progress',
    message: `checking "${check.name}" since scenario ${check.since}, `
      + `in ${check.settleSeconds} s`,
  });
  await sleep(check.settleSeconds * 1000, run.signal);
  const found = (await fetchNotifications(run.stack.endpoints.receiver)).find(
    (notification) => new Date(notification.receivedAt) >= since
      && notificationMatches(notification, check.match),
  );
  const observedSeconds = found
    && (new Date(found.receivedAt).getTime() - since.getTime()) / 1000;
  return emitResult(run, {
    scenario: scenario.id,
    name: check.name,
    expectedMaxSeconds: undefined,
    observedSeconds,
    passed: found === undefined,
  });
}

function emitResult(run: ScenarioRun, result: CheckResult): CheckResult {
  run.onEvent({ type: 'check', result });
  return result;
}
