import { SrekitError } from '../common/errors.js';
import {
  burnAlertName, latencyP95Threshold, routeTiming, scaleAlerts, scaleSlo,
  scaleSloLongWindowInterval, tierErrorRatioThreshold,
  type BurnRateTier, type Profile, type ScaledAlert, type SeverityLabel, type SloDefinition,
} from '../slo/index.js';
import type { AlertTiming, BurnCondition } from './expectations.js';

/** The timings of an alert that do not depend on the fault. */
export type RuleTiming = Omit<AlertTiming, 'ratio' | 'observationDelay'>;

/** An alert that the scenarios wait for, and where its notifications go. */
export interface WatchedAlert {
  alertname: string;
  /** Labels that tell it apart from other alerts of the same name, such as the burn tier. */
  labels: Record<string, string>;
  /** The Alertmanager receiver its severity routes to. */
  receiver: string;
  timing: RuleTiming;
}

/** An alert on the share of failed requests over a window. */
export interface RatioAlert extends WatchedAlert {
  window: number;
  threshold: number;
}

/** An alert on a latency quantile over a window. */
export interface QuantileAlert extends WatchedAlert {
  window: number;
  /** The quantile, such as 0.95 for the p95. */
  quantile: number;
  thresholdSeconds: number;
}

/** The paging tier of an SLO's burn-rate alerts, scaled for the profile. */
export interface BurnAlert extends WatchedAlert {
  /** The parts of the condition that the SLO spec fixes. */
  burn: Omit<BurnCondition,
    'requestsPerSecond' | 'faultShare' | 'remainingShare' | 'history' | 'uncounted'>;
}

/** The alerts the scenarios expect, with their timings for the profile. */
export interface ScenarioAlerts {
  instanceDown: WatchedAlert;
  errorRatio: RatioAlert;
  latency: QuantileAlert;
  burn: BurnAlert;
}

/** The SLO that the fast-burn scenario drives: the availability of the service. */
export const drivenSlo = { service: 'orders-api', name: 'availability' };

/**
 * Returns the alerts the scenarios wait for, with their timings in
 * `profile`. The policy alerts come from src/slo/policy.ts, and the burn
 * alert from the SLO spec of {@link drivenSlo} in `definitions`, scaled as
 * the stack renders it. Throws CHECK_FAILED when one of them is missing.
 */
export function scenarioAlerts(
  profile: Profile,
  definitions: readonly SloDefinition[],
): ScenarioAlerts {
  const alerts = scaleAlerts(profile);
  const errorRatio = find(alerts, 'HighErrorRatio');
  const latency = find(alerts, 'HighLatencyP95');
  return {
    instanceDown: watched(find(alerts, 'InstanceDown'), profile),
    errorRatio: {
      ...confirmedWatched(errorRatio, profile),
      window: errorRatio.ratio?.window ?? missing('HighErrorRatio', 'a ratio window'),
      threshold: errorRatio.ratio?.threshold ?? missing('HighErrorRatio', 'a ratio threshold'),
    },
    latency: {
      ...watched(latency, profile),
      window: latency.windows.latency ?? missing('HighLatencyP95', 'a window named latency'),
      quantile: quantileOf(latency),
      thresholdSeconds: latencyP95Threshold,
    },
    burn: burnAlert(profile, definitions),
  };
}

function find(alerts: ScaledAlert[], name: string): ScaledAlert {
  const alert = alerts.find((candidate) => candidate.name === name);
  if (!alert) {
    throw new SrekitError('CHECK_FAILED', `the alert policy has no alert named ${name}, `
      + 'which the game day scenarios wait for');
  }
  return alert;
}

function missing(alertname: string, part: string): never {
  throw new SrekitError('CHECK_FAILED', `alert ${alertname} of the policy has no ${part}, `
    + 'which the game day needs to compute its expected times');
}

function quantileOf(alert: ScaledAlert): number {
  const quantile = /histogram_quantile\(\s*([0-9.]+)\s*,/.exec(alert.expression)?.[1];
  return quantile === undefined ? missing(alert.name, 'histogram_quantile') : Number(quantile);
}

// Alertmanager routes each severity to the receiver of the same name.
function receiverOf(severity: SeverityLabel): string {
  return severity === 'none' ? 'deadmansswitch' : severity;
}

function watched(alert: ScaledAlert, profile: Profile): WatchedAlert {
  return {
    alertname: alert.name,
    labels: {},
    receiver: receiverOf(alert.severity),
    timing: ruleTiming(profile, alert.severity, alert.for, alert.keepFiringFor),
  };
}

// HighErrorRatio also checks its ratio over the window named confirmation.
function confirmedWatched(alert: ScaledAlert, profile: Profile): WatchedAlert {
  const base = watched(alert, profile);
  const confirmationWindow = alert.windows.confirmation
    ?? missing(alert.name, 'a window named confirmation');
  return { ...base, timing: { ...base.timing, confirmationWindow } };
}

function ruleTiming(
  profile: Profile,
  severity: SeverityLabel,
  forDuration: number,
  keepFiringFor: number,
): RuleTiming {
  const route = routeTiming(profile, severity);
  return {
    scrapeInterval: profile.scrapeInterval,
    evaluationInterval: profile.evaluationInterval,
    forDuration,
    keepFiringFor,
    groupWait: route.groupWait,
    groupInterval: route.groupInterval,
  };
}

function burnAlert(profile: Profile, definitions: readonly SloDefinition[]): BurnAlert {
  const written = definitions.find((definition) => definition.service === drivenSlo.service
    && definition.name === drivenSlo.name);
  if (!written) {
    throw new SrekitError('CHECK_FAILED', `no SLO spec defines SLO ${drivenSlo.name} of service `
      + `${drivenSlo.service}, whose fast burn the game day drives`, {
      hint: 'restore monitoring/slos/orders-api.yaml from version control',
    });
  }
  const slo = scaleSlo(written, profile);
  const tier = pagingTier(slo);
  return {
    alertname: burnAlertName,
    labels: { service: slo.service, slo: slo.name, tier: tier.name },
    receiver: receiverOf(tier.severity),
    // The generated burn-rate rules have no `for`: the short window already
    // confirms that the burn goes on.
    timing: ruleTiming(profile, tier.severity, 0, 0),
    burn: {
      threshold: tierErrorRatioThreshold(tier, slo.period, slo.objective),
      longWindow: tier.longWindow,
      shortWindow: tier.shortWindow,
      longWindowInterval: scaleSloLongWindowInterval(profile),
      minRequests: slo.minRequestRate * tier.longWindow,
    },
  };
}

// The fastest tier that pages: the one with the highest threshold.
function pagingTier(slo: SloDefinition): BurnRateTier {
  const paging = slo.tiers.filter((tier) => tier.severity === 'page');
  const threshold = (tier: BurnRateTier) =>
    tierErrorRatioThreshold(tier, slo.period, slo.objective);
  const fastest = paging.sort((a, b) => threshold(b) - threshold(a))[0];
  if (!fastest) {
    throw new SrekitError('CHECK_FAILED', `SLO ${slo.name} of ${slo.service} (${slo.file}) has `
      + 'no tier with severity page, whose alert the fast-burn scenario waits for');
  }
  return fastest;
}
