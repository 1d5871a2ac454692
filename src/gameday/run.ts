import { SrekitError } from '../common/errors.js';
import { committedSpecsDir, getProfile, loadSpecsDir } from '../slo/index.js';
import { startStack, type Stack, type StackPorts } from '../stack/index.js';
import { scenarioAlerts, type ScenarioAlerts } from './alerts.js';
import { runScenarios, type GamedayEvent } from './gameday.js';
import type { GamedayReport } from './report.js';
import {
  buildScenarios, minRequestsPerSecond, type GamedayComponent, type GamedayStack,
} from './scenarios.js';

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
 * (unless `keepStack`). Invalid options and a stack that fails to start
 * throw before any scenario runs. A failure after that is recorded in the
 * report, so the report is always written.
 */
export async function runGameday(options: GamedayOptions): Promise<GamedayReport> {
  const progress = (message: string) => options.onEvent({ type: 'progress', message });
  const alerts = await loadScenarioAlerts(options.profile);
  assertRate(options.requestsPerSecond, alerts, options.profile);
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
      scenarios: buildScenarios(alerts),
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

/**
 * Returns the alerts the scenarios wait for in the profile called `name`,
 * with the SLO from the committed specs that the stack renders as well.
 */
export async function loadScenarioAlerts(name: string): Promise<ScenarioAlerts> {
  return scenarioAlerts(getProfile(name), await loadSpecsDir(committedSpecsDir));
}

function assertRate(requestsPerSecond: number, alerts: ScenarioAlerts, profile: string): void {
  const minimum = minRequestsPerSecond(alerts);
  if (requestsPerSecond >= minimum) return;
  throw new SrekitError('INVALID_INPUT', `invalid rate ${requestsPerSecond}: the fast-burn `
    + `scenario needs at least ${minimum} requests per second with the ${profile} profile, `
    + 'because the service fails requests at random and fewer of them let the short window '
    + 'dip under the burn threshold', { hint: `pass --rate ${minimum} or more` });
}

function gamedayStack(stack: Stack): GamedayStack {
  return {
    endpoints: stack.endpoints,
    incidentToken: stack.incidentToken,
    serviceDatabase: stack.layout.serviceDatabase,
    backupRepository: stack.layout.backupRepository,
    stopComponent: (name: GamedayComponent) => stack.stopComponent(name),
    startComponent: (name: GamedayComponent) => stack.startComponent(name),
  };
}
