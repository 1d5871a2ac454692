import { SrekitError } from '../common/errors.js';
import type { ScenarioAlerts } from './alerts.js';
import {
  burnFiring, burnResolved, firing, incidentMonitoring, incidentOpened, inhibited, neverFiring,
  resolved, resolvedAtAlertmanager, type CheckSpec, type MeasuredCheck,
} from './checks.js';
import {
  noiseDeviations, quantileCondition,
  type AlertTiming, type BurnAlertTiming, type ShareCondition,
} from './expectations.js';
import { clearFaults, setFaults } from './faults.js';
import { restoreScenario } from './restore.js';
import { trafficRoutes } from './traffic.js';

export type { CheckSpec } from './checks.js';

/** The parts of the local stack that the scenarios act on. */
export interface GamedayStack {
  endpoints: {
    service: string;
    serviceAdmin: string;
    prometheus: string;
    alertmanager: string;
    receiver: string;
    incident: string;
  };
  /** The bearer token of the incident server's /v1 API. */
  incidentToken: string;
  /** The service's SQLite database file. */
  serviceDatabase: string;
  /** A directory for the restore scenario's backup repository, missing until it runs. */
  backupRepository: string;
  stopComponent(name: GamedayComponent): Promise<void>;
  /** Starts a stopped component again and waits until it is ready. */
  startComponent(name: GamedayComponent): Promise<void>;
}

/** The components of the stack that scenarios stop and start. */
export type GamedayComponent = 'node-exporter' | 'service';

/** The state of the run, when a scenario acts, that its expected times depend on. */
export interface ScenarioContext {
  /** Seconds of steady traffic before the act. */
  trafficSeconds: number;
  requestsPerSecond: number;
}

/** A fault or a fix, followed by the outcomes it must cause. */
export interface Scenario {
  id: string;
  title: string;
  /**
   * Injects the fault or the fix, and returns the results of checks it
   * measured itself. `progress` receives one line per step of a long act.
   */
  act(stack: GamedayStack, progress: (message: string) => void): Promise<MeasuredCheck[] | void>;
  /** The outcomes to wait for after the act. */
  checks(context: ScenarioContext): CheckSpec[];
}

/** The share of requests that fail during the outage. */
export const outageErrorShare = 0.3;

/**
 * The share of requests that fail during the fast burn and the mitigation.
 * It lies between the fast tier's threshold (1.44% for 99.9%) and
 * HighErrorRatio's 5%, with room on both sides, because the service fails
 * each request at random. At 50 requests a second the 15 s short window of
 * the gameday profile contains about 26 failures, 3 standard deviations
 * above the 11 that the threshold needs.
 */
export const fastBurnErrorShare = 0.035;

/**
 * Returns the lowest traffic rate, in requests per second, at which the
 * fast-burn scenario is reliable. The service fails each request at random
 * with the fast-burn share f, so the failures in the short window of N
 * requests vary by about √(N·f). Their expected count must stay 3 standard
 * deviations (k = {@link noiseDeviations}) above the N·θ that the burn
 * threshold θ needs: N·(f − θ) ≥ k·√(N·f), so N ≥ k²·f / (f − θ)².
 */
export function minRequestsPerSecond(alerts: ScenarioAlerts): number {
  const { threshold, shortWindow } = alerts.burn.burn;
  const requests = (noiseDeviations ** 2 * fastBurnErrorShare)
    / (fastBurnErrorShare - threshold) ** 2;
  return Math.ceil(requests / shortWindow);
}

/** The latency the latency scenario adds to every request, as a multiple of the threshold. */
const latencyFactor = 1.5;

/**
 * Builds the scenarios in the order they run. Throws CHECK_FAILED when the
 * fast-burn share no longer lies between the burn threshold and the
 * HighErrorRatio threshold, because then the scenario would test nothing.
 *
 * The order follows from the inhibit rules of Alertmanager: the paging SLO
 * burn inhibits HighErrorRatio of the same service, and any page of a
 * service inhibits its warnings.
 *
 * - b burns the budget at 3.5%, so only the SLO burn can page.
 * - c raises the errors to 30%. HighErrorRatio fires in Prometheus, but the
 *   burn page still fires, so Alertmanager must list it as inhibited.
 * - d mitigates to 3.5%. HighErrorRatio's windows fall under 5% while the
 *   burn page still fires, so it resolves without a page. Clearing every
 *   error at once would also end HighErrorRatio first, because its
 *   confirmation window is the burn's short window. But in the gameday
 *   profile that 15 s window passes 5% under 2 s before 1.44% after 30%
 *   errors, a margin that the random failures and the 1 s evaluation
 *   steps can use up. The mitigation keeps the 3.5% share above the burn
 *   threshold, so the burn keeps firing and the order holds.
 * - e fixes the errors, and the check that HighErrorRatio never paged runs
 *   after the burn page resolved, when an inhibition that ended too early
 *   would have let it through.
 * - f and g slow the service down only after the burn page resolved,
 *   because a page of the service inhibits the latency warning.
 * - h backs up the service's database, deletes it and restores it. It runs
 *   last, because the service is down for a few seconds and its orders
 *   written after the backup are lost, which no earlier check expects.
 */
export function buildScenarios(alerts: ScenarioAlerts): Scenario[] {
  assertFastBurnShare(alerts);
  return [
    {
      id: 'a',
      title: 'node-exporter stops',
      act: (stack) => stack.stopComponent('node-exporter'),
      checks: () => [firing(alerts.instanceDown, alerts.instanceDown.timing)],
    },
    ...errorScenarios(alerts),
    ...latencyScenarios(alerts),
    restoreScenario(),
  ];
}

function assertFastBurnShare(alerts: ScenarioAlerts): void {
  const burnThreshold = alerts.burn.burn.threshold;
  const ratioThreshold = alerts.errorRatio.threshold;
  if (burnThreshold < fastBurnErrorShare && fastBurnErrorShare < ratioThreshold) return;
  throw new SrekitError('CHECK_FAILED', `the fast-burn scenario fails ${percent(fastBurnErrorShare)} `
    + `of requests, which must lie between the burn threshold ${percent(burnThreshold)} and the `
    + `HighErrorRatio threshold ${percent(ratioThreshold)}`, {
    hint: 'change fastBurnErrorShare in src/gameday/scenarios.ts to fit the SLO spec and the policy',
  });
}

function percent(share: number): string {
  return `${Number((share * 100).toPrecision(6))}%`;
}

function errorScenarios(alerts: ScenarioAlerts): Scenario[] {
  const { instanceDown, errorRatio, burn } = alerts;
  const burnTiming = (context: ScenarioContext, faultShare: number): BurnAlertTiming => ({
    ...burn.timing,
    burn: {
      ...burn.burn,
      faultShare,
      history: context.trafficSeconds,
      requestsPerSecond: context.requestsPerSecond,
      uncounted: trafficRoutes.length,
    },
  });
  const ratioTiming = (
    context: ScenarioContext,
    faultShare: number,
    extra: Partial<ShareCondition> = {},
  ): AlertTiming => ({
    ...errorRatio.timing,
    ratio: {
      window: errorRatio.window,
      threshold: errorRatio.threshold,
      faultShare,
      random: { requestsPerSecond: context.requestsPerSecond, uncounted: trafficRoutes.length },
      ...extra,
    },
  });
  return [
    {
      id: 'b',
      title: `${percent(fastBurnErrorShare)} of requests fail: a fast burn under the 5xx ratio `
        + 'threshold',
      act: (stack) => setFaults(stack.endpoints.serviceAdmin, { errorRate: fastBurnErrorShare }),
      checks: (context) => {
        const page = burnFiring(burn, burnTiming(context, fastBurnErrorShare));
        return [page, incidentOpened(burn, page)];
      },
    },
    {
      id: 'c',
      title: `${percent(outageErrorShare)} of requests fail while the burn pages`,
      act: (stack) => setFaults(stack.endpoints.serviceAdmin, { errorRate: outageErrorShare }),
      checks: (context) => [inhibited(errorRatio,
        ratioTiming(context, outageErrorShare, { history: context.trafficSeconds }))],
    },
    {
      id: 'd',
      title: `mitigation: ${percent(fastBurnErrorShare)} of requests fail again`,
      act: (stack) => setFaults(stack.endpoints.serviceAdmin, { errorRate: fastBurnErrorShare }),
      checks: (context) => [resolvedAtAlertmanager(errorRatio,
        ratioTiming(context, outageErrorShare, { remainingShare: fastBurnErrorShare }))],
    },
    {
      id: 'e',
      title: 'node-exporter and the service recover',
      act: async (stack) => {
        await clearFaults(stack.endpoints.serviceAdmin);
        await stack.startComponent('node-exporter');
      },
      // The short window may still hold outage errors when d was short, so
      // the bound assumes the outage share.
      checks: (context) => {
        const burnPageResolved = burnResolved(burn, burnTiming(context, outageErrorShare));
        return [
          resolved(instanceDown, instanceDown.timing),
          burnPageResolved,
          incidentMonitoring(burn, burnPageResolved),
          neverFiring(errorRatio, 'c'),
        ];
      },
    },
  ];
}

function latencyScenarios(alerts: ScenarioAlerts): Scenario[] {
  const { latency } = alerts;
  const latencyMs = Math.round(latency.thresholdSeconds * latencyFactor * 1000);
  const timing = (context: ScenarioContext): AlertTiming => ({
    ...latency.timing,
    observationDelay: latencyMs / 1000,
    ratio: quantileCondition({
      window: latency.window,
      quantile: latency.quantile,
      slowShare: 1,
      history: context.trafficSeconds,
    }),
  });
  return [
    {
      id: 'f',
      title: `every request takes ${latencyMs} ms longer`,
      act: (stack) => setFaults(stack.endpoints.serviceAdmin, { latencyMs }),
      checks: (context) => [firing(latency, timing(context))],
    },
    {
      id: 'g',
      title: 'the latency recovers',
      act: (stack) => clearFaults(stack.endpoints.serviceAdmin),
      checks: (context) => [resolved(latency, timing(context))],
    },
  ];
}
