import { SrekitError } from '../common/errors.js';
import { routeTiming, scaleAlerts, type Profile, type ScaledAlert } from '../slo/index.js';
import { startStack, type Stack, type StackPorts } from '../stack/index.js';
import type { AlertTiming } from './expectations.js';
import { runScenarios, type GamedayEvent } from './gameday.js';
import type { GamedayReport } from './report.js';
import { buildScenarios, injectedErrorShare, type ScenarioAlerts } from './scenarios.js';

/** Options of {@link runGameday}. */
export interface GamedayOptions {
  workdir: string;
  /** Profile the stack and the rules are rendered for; `gameday` compresses time. */
  profile: string;
  requestsPerSecond: number;
  ports?: Partial<StackPorts>;
  /** Leave the stack running afterwards, for a look at Prometheus and the logs. */
  keepStack: boolean;
  /** Aborting stops the game day and the stack; the report records why. */
  signal?: AbortSignal;
  onEvent(event: GamedayEvent): void;
}

/**
 * Starts the local stack, runs every scenario against it and stops it again
 * (unless `keepStack`). A stack that fails to start throws; a failure after
 * that is recorded in the report, so the report is always written.
 */
export async function runGameday(options: GamedayOptions): Promise<GamedayReport> {
  const progress = (message: string) => options.onEvent({ type: 'progress', message });
  const stack = await startStack({
    workdir: options.workdir,
    profile: options.profile,
    ports: options.ports,
    onProgress: progress,
    signal: options.signal,
  });
  try {
    return await runScenarios({
      stack: gamedayStack(stack),
      scenarios: buildScenarios(scenarioAlerts(stack.profile)),
      profile: stack.profile,
      requestsPerSecond: options.requestsPerSecond,
      warmUpTimeoutSeconds: 60,
      signal: options.signal,
      onEvent: options.onEvent,
    });
  } finally {
    if (options.keepStack) {
      progress(`the stack keeps running in ${stack.workdir}; stop it with \`srekit stack down `
        + `--workdir ${stack.workdir}\``);
    } else {
      progress('stopping the stack');
      await stack.down();
    }
  }
}

function gamedayStack(stack: Stack) {
  return {
    endpoints: stack.endpoints,
    stopComponent: (name: 'node-exporter') => stack.stopComponent(name),
    startComponent: (name: 'node-exporter') => stack.startComponent(name),
  };
}

/** Returns the alerts the scenarios wait for, with their timings in `profile`. */
export function scenarioAlerts(profile: Profile): ScenarioAlerts {
  const alerts = scaleAlerts(profile);
  return {
    instanceDown: { alertname: 'InstanceDown', timing: timingOf(find(alerts, 'InstanceDown'), profile) },
    errorRatio: { alertname: 'HighErrorRatio', timing: timingOf(find(alerts, 'HighErrorRatio'), profile) },
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

function timingOf(alert: ScaledAlert, profile: Profile): AlertTiming {
  const route = routeTiming(profile, alert.severity);
  const timing: AlertTiming = {
    scrapeInterval: profile.scrapeInterval,
    evaluationInterval: profile.evaluationInterval,
    forDuration: alert.for,
    keepFiringFor: alert.keepFiringFor,
    groupWait: route.groupWait,
    groupInterval: route.groupInterval,
  };
  if (alert.ratio) {
    timing.ratio = {
      window: alert.ratio.window,
      threshold: alert.ratio.threshold,
      faultShare: injectedErrorShare,
    };
  }
  return timing;
}
