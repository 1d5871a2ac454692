import type { Severity } from './profiles.js';

/** One multiwindow burn-rate alert tier of an SLO. Durations are in seconds. */
export interface BurnRateTier {
  /** The `tier` label of the alert, such as `fast` or `slow`. */
  name: string;
  /** Percentage of the period's error budget that a burn spends before the alert fires. */
  budgetPercent: number;
  /** Window over which the budget share is spent. */
  longWindow: number;
  /** Window that confirms the burn is still going on, so the alert resets soon after recovery. */
  shortWindow: number;
  severity: Severity;
}

/**
 * The default tiers, from the SRE Workbook's multiwindow, multi-burn-rate
 * alerts: 2% of the budget in 1 hour pages, 5% in 6 hours opens a ticket.
 * For a 30-day period their burn factors are 14.4 and 6.
 */
export const defaultTiers: readonly BurnRateTier[] = [
  { name: 'fast', budgetPercent: 2, longWindow: 3_600, shortWindow: 300, severity: 'page' },
  { name: 'slow', budgetPercent: 5, longWindow: 21_600, shortWindow: 1_800, severity: 'ticket' },
];

/** Rounds away the binary noise of float arithmetic, so 0.02 × 720 is 14.4. */
function roundFigure(value: number): number {
  return Number(value.toPrecision(10));
}

/** Returns a ratio in percent without float noise: 0.0144 gives 1.44. */
export function toPercent(ratio: number): number {
  return roundFigure(ratio * 100);
}

/** Returns the error budget of an objective given in percent, as a ratio: 99.9 gives 0.001. */
export function errorBudgetRatio(objectivePercent: number): number {
  return roundFigure((100 - objectivePercent) / 100);
}

/**
 * Returns the burn factor of a tier: how many times faster than the
 * sustainable rate the budget must burn to spend `budgetPercent` of it within
 * the long window. Factor = budget share × period ÷ long window.
 */
export function burnFactor(tier: BurnRateTier, periodSeconds: number): number {
  return roundFigure((tier.budgetPercent / 100) * periodSeconds / tier.longWindow);
}

/** Returns the error ratio at or above which a tier fires: burn factor × error budget. */
export function errorRatioThreshold(
  tier: BurnRateTier,
  periodSeconds: number,
  objectivePercent: number,
): number {
  return roundFigure(burnFactor(tier, periodSeconds) * errorBudgetRatio(objectivePercent));
}

/**
 * Returns the seconds after which a tier fires for a constant error ratio
 * that starts at time 0 after a clean history, or undefined when it never
 * fires. The ratio over a window of length w at time t ≤ w is r × t ÷ w, so
 * each window needs t = threshold × w ÷ r. This ignores evaluation intervals
 * and the extrapolation of `increase`, so real alerts fire up to one rule
 * evaluation later.
 */
export function timeToDetect(tier: BurnRateTier, threshold: number, errorRatio: number): number
  | undefined {
  if (errorRatio < threshold) return undefined;
  const needed = (window: number) => (threshold * window) / errorRatio;
  return Math.max(needed(tier.longWindow), needed(tier.shortWindow));
}

/**
 * Returns the seconds after recovery until a tier stops firing, for a
 * constant error ratio that lasted long enough to fill both windows. The
 * short window clears first: it falls below the threshold once the errors
 * still inside it make up less than threshold ÷ ratio of it.
 */
export function timeToReset(tier: BurnRateTier, threshold: number, errorRatio: number): number {
  const remainingShare = Math.min(threshold / errorRatio, 1);
  const clear = (window: number) => window * (1 - remainingShare);
  return Math.min(clear(tier.longWindow), clear(tier.shortWindow));
}
