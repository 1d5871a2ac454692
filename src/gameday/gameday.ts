import { waitForNotification } from './notifications.js';
import { queryValues, waitUntil } from './prometheus.js';
import type { CheckResult, GamedayReport } from './report.js';
import type { CheckSpec, GamedayStack, Scenario } from './scenarios.js';
import { TrafficDriver } from './traffic.js';

/** Seconds between progress lines while a check waits. */
const heartbeatSeconds = 10;

/** An event the game day reports while it runs. */
export type GamedayEvent =
  | { type: 'progress'; message: string }
  | { type: 'check'; result: CheckResult };

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
 * act, then wait for every notification it must cause. Returns the report;
 * the caller owns the stack and stops it.
 */
export async function runScenarios(run: ScenarioRun): Promise<GamedayReport> {
  const startedAt = new Date();
  const traffic = new TrafficDriver(run.stack.endpoints.service, run.requestsPerSecond);
  const checks: CheckResult[] = [];
  let error: string | undefined;
  traffic.start();
  try {
    await warmUp(run);
    for (const scenario of run.scenarios) {
      run.signal?.throwIfAborted();
      checks.push(...(await runScenario(run, scenario)));
    }
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  } finally {
    await traffic.stop();
  }
  return {
    startedAt,
    finishedAt: new Date(),
    profile: run.profile,
    checks,
    traffic: traffic.snapshot(),
    ...(error === undefined ? {} : { error }),
  };
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

async function runScenario(run: ScenarioRun, scenario: Scenario): Promise<CheckResult[]> {
  run.onEvent({ type: 'progress', message: `scenario ${scenario.id}: ${scenario.title}` });
  const actedAt = new Date();
  await scenario.act(run.stack);
  return Promise.all(scenario.checks.map((check) => runCheck(run, scenario, check, actedAt)));
}

async function runCheck(
  run: ScenarioRun,
  scenario: Scenario,
  check: CheckSpec,
  actedAt: Date,
): Promise<CheckResult> {
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
  const arrivedAt = await waitForNotification(
    run.stack.endpoints.receiver,
    check.match,
    actedAt,
    new Date(actedAt.getTime() + waitSeconds * 1000),
    run.signal,
  ).finally(() => clearInterval(heartbeat));
  const observedSeconds = arrivedAt && (arrivedAt.getTime() - actedAt.getTime()) / 1000;
  const result: CheckResult = {
    scenario: scenario.id,
    name: check.name,
    expectedMaxSeconds: check.expectedMaxSeconds,
    observedSeconds,
    passed: observedSeconds !== undefined && observedSeconds <= check.expectedMaxSeconds,
  };
  run.onEvent({ type: 'check', result });
  return result;
}
