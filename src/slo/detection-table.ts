import {
  burnFactor, errorBudgetRatio, errorRatioThreshold, timeToDetect, timeToReset, type BurnRateTier,
} from './burn-rate.js';
import { formatDuration } from './duration.js';

/**
 * The SRE Workbook's three multiwindow tiers for a 30-day SLO: 14.4x over 1h
 * confirmed over 5m, 6x over 6h confirmed over 30m, and 1x over 3d
 * confirmed over 6h. srekit ships the first two as its defaults.
 */
export const workbookTiers: readonly BurnRateTier[] = [
  { name: 'fast', budgetPercent: 2, longWindow: 3_600, shortWindow: 300, severity: 'page' },
  { name: 'slow', budgetPercent: 5, longWindow: 21_600, shortWindow: 1_800, severity: 'page' },
  { name: '3d', budgetPercent: 10, longWindow: 259_200, shortWindow: 21_600, severity: 'ticket' },
];

/** Burn rates of the table's columns, as multiples of the sustainable rate. */
const burnRates = [50, 15, 5];

/** Formats seconds for a reader: seconds under 2 minutes, minutes under 2 hours, else hours. */
export function formatSpan(seconds: number | undefined): string {
  if (seconds === undefined) return 'never';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7_200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3_600).toFixed(1)} h`;
}

function tierRow(source: string, tier: BurnRateTier, period: number, objective: number): string {
  const threshold = errorRatioThreshold(tier, period, objective);
  const budget = errorBudgetRatio(objective);
  const detect = (errorRatio: number) => formatSpan(timeToDetect(tier, threshold, errorRatio));
  const cells = [
    `${source} ${tier.name}`,
    `${burnFactor(tier, period)}x`,
    `${formatDuration(tier.longWindow)} / ${formatDuration(tier.shortWindow)}`,
    detect(1),
    ...burnRates.map((rate) => detect(Math.min(rate * budget, 1))),
    formatSpan(timeToReset(tier, threshold, 1)),
  ];
  return `| ${cells.join(' | ')} |`;
}

/**
 * Renders the Markdown table of docs/alerting.md: for each tier, the time a
 * constant error ratio takes to fire it after a clean history, and the time
 * it takes to stop firing after a full outage ends. The srekit rows use
 * `tiers`, the Workbook rows {@link workbookTiers}, both for the same SLO.
 */
export function renderDetectionTable(
  tiers: readonly BurnRateTier[],
  period: number,
  objective: number,
): string {
  const header = [
    '| tier | burn factor | windows (long / short) | full outage | '
      + `${burnRates.map((rate) => `${rate}x burn`).join(' | ')} | reset after a full outage |`,
    `|---|---|---|---|${burnRates.map(() => '---|').join('')}---|`,
  ];
  const rows = [
    ...tiers.map((tier) => tierRow('srekit', tier, period, objective)),
    ...workbookTiers.map((tier) => tierRow('Workbook', tier, period, objective)),
  ];
  return [...header, ...rows].join('\n');
}
