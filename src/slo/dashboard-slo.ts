import {
  DashboardBuilder, RowBuilder, type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { burnFactor, errorBudgetRatio, type BurnRateTier } from './burn-rate.js';
import {
  buildDashboard, dashboardTag, datasourceVariable, runbookLink, statPanel, tablePanel, thresholds,
  timeseriesPanel, type DashboardItem, type DashboardOptions,
} from './dashboard-panels.js';
import { formatDuration } from './duration.js';
import type { Severity } from './profiles.js';
import {
  absentAlertName, budgetRemainingRecord, burnAlertName, ratioRecord, sloRunbook, splitWindows,
} from './slo-rules.js';
import type { SloDefinition } from './spec.js';

/** The stable uid of the SLO and error budget dashboard. */
export const sloDashboardUid = 'srekit-slo';

const severityColors: Record<Severity, string> = { page: 'red', warn: 'orange', ticket: 'yellow' };

function selector(definition: SloDefinition): string {
  return `{service="${definition.service}", slo="${definition.name}"}`;
}

/** Returns every window of the SLO's tiers, shortest first. */
function sloWindows(definition: SloDefinition): number[] {
  const { short, long } = splitWindows(definition.tiers);
  return [...short, ...long].sort((a, b) => a - b);
}

/** Threshold steps at each tier's burn factor, colored by the tier's severity. */
function burnSteps(tiers: readonly BurnRateTier[], period: number): ReturnType<typeof thresholds> {
  const steps = tiers
    .map((tier): [number, string] => [burnFactor(tier, period), severityColors[tier.severity]])
    .sort((a, b) => a[0] - b[0]);
  return thresholds('green', steps);
}

function firingAlertsPanel(options: DashboardOptions): DashboardItem {
  return tablePanel({
    title: 'Firing SLO alerts',
    description: `${burnAlertName} and ${absentAlertName} alerts that fire now, one row each, `
      + 'with their service, SLO, tier and severity.',
    unit: units.NoUnit,
    links: [runbookLink(burnAlertName, sloRunbook, options)],
    queries: [{
      expr: `ALERTS{alertname=~"${burnAlertName}|${absentAlertName}", alertstate="firing"}`,
      legend: '{{alertname}} {{service}} {{slo}} {{tier}}',
    }],
  });
}

function sloRow(definition: SloDefinition, options: DashboardOptions): DashboardItem[] {
  const labels = selector(definition);
  const windows = sloWindows(definition);
  const objective = definition.objective / 100;
  const budget = errorBudgetRatio(definition.objective);
  const period = formatDuration(definition.period);
  const link = runbookLink(burnAlertName, sloRunbook, options);
  const about = definition.description === undefined ? '' : ` ${definition.description}`;
  return [
    new RowBuilder(`${definition.service} ${definition.name}: ${definition.objective}% `
      + `over ${period}`),
    timeseriesPanel({
      title: `SLI: ${definition.name}`,
      description: `Share of good events over each alert window.${about} The dashed line is `
        + `the ${definition.objective}% objective.`,
      unit: units.PercentUnit,
      width: 8,
      thresholds: thresholds('red', [[objective, 'green']]),
      queries: windows.map((window) => ({
        expr: `1 - ${ratioRecord(window)}${labels}`,
        legend: `over ${formatDuration(window)}`,
      })),
    }),
    timeseriesPanel({
      title: `Burn rate: ${definition.name}`,
      description: 'Error ratio over each alert window divided by the error budget '
        + `(${budget}). At 1 the budget lasts exactly ${period}. The dashed lines are the burn `
        + 'factors of the alert tiers, which fire when both windows of a tier are above them.',
      unit: units.Short,
      min: 0,
      width: 8,
      thresholds: burnSteps(definition.tiers, definition.period),
      links: [link],
      queries: windows.map((window) => ({
        expr: `${ratioRecord(window)}${labels} / ${budget}`,
        legend: `over ${formatDuration(window)}`,
      })),
    }),
    statPanel({
      title: `Error budget left: ${definition.name}`,
      description: `Share of the ${period} error budget that is left: 100% when no request `
        + 'failed, below 0 when the errors overspent it.',
      unit: units.PercentUnit,
      width: 8,
      thresholds: thresholds('red', [[0, 'green']]),
      links: [link],
      queries: [{ expr: `${budgetRemainingRecord}${labels}`, legend: 'left' }],
    }),
  ];
}

/**
 * Builds the SLO dashboard: the firing SLO alerts, then for each SLO its
 * SLI, burn rate over every alert window and remaining error budget, read
 * from the series that the generated SLO rules record.
 */
export function buildSloDashboard(
  definitions: readonly SloDefinition[],
  options: DashboardOptions = {},
): Dashboard {
  const builder = new DashboardBuilder('SLOs and error budgets')
    .uid(sloDashboardUid)
    .description('SLIs, burn rates and error budgets of the SLOs in monitoring/slos.')
    .tags([dashboardTag, 'slo'])
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .withVariable(datasourceVariable());
  return buildDashboard(builder, [
    firingAlertsPanel(options),
    ...definitions.flatMap((definition) => sloRow(definition, options)),
  ]);
}
