import { maxSecondsToDetect, maxSecondsToResolve, type AlertTiming } from './expectations.js';
import { clearFaults, setFaults } from './faults.js';
import type { NotificationMatch } from './notifications.js';

/** The parts of the local stack that the scenarios act on. */
export interface GamedayStack {
  endpoints: { service: string; serviceAdmin: string; prometheus: string; receiver: string };
  stopComponent(name: 'node-exporter'): Promise<void>;
  startComponent(name: 'node-exporter'): Promise<void>;
}

/** One expected notification and the longest it may take to arrive. */
export interface CheckSpec {
  name: string;
  match: NotificationMatch;
  expectedMaxSeconds: number;
}

/** A fault or a fix, followed by the notifications it must cause. */
export interface Scenario {
  id: string;
  title: string;
  act(stack: GamedayStack): Promise<void>;
  checks: CheckSpec[];
}

/** The alerts the scenarios expect, by rule name, with their timings for the profile. */
export interface ScenarioAlerts {
  instanceDown: { alertname: string; timing: AlertTiming };
  errorRatio: { alertname: string; timing: AlertTiming };
}

/** The share of requests the error scenario fails. */
export const injectedErrorShare = 0.3;

function firing(alertname: string, timing: AlertTiming): CheckSpec {
  return {
    name: `${alertname} firing at the page receiver`,
    match: { receiver: 'page', alertname, status: 'firing' },
    expectedMaxSeconds: maxSecondsToDetect(timing),
  };
}

function resolved(alertname: string, timing: AlertTiming): CheckSpec {
  return {
    name: `${alertname} resolved at the page receiver`,
    match: { receiver: 'page', alertname, status: 'resolved' },
    expectedMaxSeconds: maxSecondsToResolve(timing),
  };
}

/**
 * Builds the scenarios in the order they run: the host exporter stops, then
 * a share of requests fails while it is still down, then both recover.
 */
export function buildScenarios(alerts: ScenarioAlerts): Scenario[] {
  const { instanceDown, errorRatio } = alerts;
  return [
    {
      id: 'a',
      title: 'node-exporter stops',
      act: (stack) => stack.stopComponent('node-exporter'),
      checks: [firing(instanceDown.alertname, instanceDown.timing)],
    },
    {
      id: 'b',
      title: `${injectedErrorShare * 100}% of requests fail with 5xx`,
      act: (stack) => setFaults(stack.endpoints.serviceAdmin, { errorRate: injectedErrorShare }),
      checks: [firing(errorRatio.alertname, errorRatio.timing)],
    },
    {
      id: 'c',
      title: 'node-exporter and the service recover',
      act: async (stack) => {
        await clearFaults(stack.endpoints.serviceAdmin);
        await stack.startComponent('node-exporter');
      },
      checks: [
        resolved(instanceDown.alertname, instanceDown.timing),
        resolved(errorRatio.alertname, errorRatio.timing),
      ],
    },
  ];
}
