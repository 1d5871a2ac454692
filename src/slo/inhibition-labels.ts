import { alertPolicy } from './policy.js';
import { sloRuleGroups, type AlertingRule } from './slo-rules.js';
import type { SloDefinition } from './spec.js';

/** An alert rule as the inhibit rule check models it: its name and the labels its alerts carry. */
export interface AlertLabelSet {
  /** The `alertname` label. */
  alertname: string;
  /** Labels with the same value on every alert of the rule, such as `severity`. */
  fixed: Readonly<Record<string, string>>;
  /** Labels that every alert of the rule carries, with a value that depends on the series. */
  varying: readonly string[];
}

/**
 * The labels that the expression of each alert in src/slo/policy.ts passes
 * to its alerts: the `by` labels of its aggregation, or the target labels
 * and metric labels of the series it compares. A test keeps them equal to
 * the labels that the committed promtool tests expect.
 */
export const policySeriesLabels: Readonly<Record<string, readonly string[]>> = {
  InstanceDown: ['job', 'instance'],
  HighErrorRatio: ['job', 'service'],
  HighLatencyP95: ['job', 'service'],
  DiskWillFillIn4Hours: ['job', 'instance', 'device', 'fstype', 'mountpoint'],
  HighCpuUsage: ['job', 'instance'],
  HighMemoryUsage: ['job', 'instance'],
  Watchdog: [],
  PrometheusConfigReloadFailed: ['job', 'instance'],
  AlertmanagerConfigReloadFailed: ['job', 'instance'],
  TargetScrapeFailing: ['job', 'instance'],
};

/**
 * Returns every alert rule of the policy and of the SLO `definitions`, with
 * the labels its alerts carry. The SLO alerts get their labels from the
 * rules that `srekit slo generate` writes for them.
 */
export function policyAlertLabels(definitions: readonly SloDefinition[] = []): AlertLabelSet[] {
  const policy = alertPolicy.map((alert) => {
    const varying = policySeriesLabels[alert.name];
    // A new alert in the policy needs its labels listed here, or the check
    // would treat it as carrying none.
    if (varying === undefined) {
      throw new Error(`alert ${alert.name} of the policy has no entry in policySeriesLabels`);
    }
    return { alertname: alert.name, fixed: { severity: alert.severity }, varying };
  });
  // NOTE: an SLI query that keeps labels of its own (`sum by (x)` in a Sloth
  // spec) gives the SLO alerts labels that this list does not name.
  const slo = definitions
    .flatMap((definition) => sloRuleGroups(definition))
    .flatMap((group) => group.rules)
    .filter((rule): rule is AlertingRule => 'alert' in rule)
    .map((rule) => ({ alertname: rule.alert, fixed: { ...rule.labels }, varying: [] }));
  return [...policy, ...slo];
}
