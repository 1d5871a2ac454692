import { SrekitError } from '../common/errors.js';
import { burnFactor, type BurnRateTier } from './burn-rate.js';
import { formatDuration } from './duration.js';
import type { Profile } from './profiles.js';
import { scaleWindow } from './scale.js';
import { longWindowInterval } from './slo-rules.js';
import type { SloDefinition } from './spec.js';

/**
 * Returns `definition` with its period and every tier's windows scaled for
 * `profile`, by the rule that {@link scaleAlerts} applies to the alert
 * policy: divided by the speedup, rounded up to whole seconds, and never
 * below `minRateWindowScrapes` scrape intervals. The period shrinks with
 * the windows, so each tier keeps its burn factor and its error ratio
 * threshold. Throws CHECK_FAILED when rounding would change a burn factor or
 * leave a long window no longer than its short window.
 */
export function scaleSlo(definition: SloDefinition, profile: Profile): SloDefinition {
  const period = scaleWindow(definition.period, profile);
  const tiers = definition.tiers.map((tier) => ({
    ...tier,
    longWindow: scaleWindow(tier.longWindow, profile),
    shortWindow: scaleWindow(tier.shortWindow, profile),
  }));
  const scaled = { ...definition, period, tiers };
  for (const [index, tier] of tiers.entries()) {
    const written = definition.tiers[index];
    if (written) assertTierKept(definition, written, scaled, tier, profile);
  }
  return scaled;
}

function assertTierKept(
  written: SloDefinition,
  writtenTier: BurnRateTier,
  scaled: SloDefinition,
  scaledTier: BurnRateTier,
  profile: Profile,
): void {
  const problem = scalingProblem(written, writtenTier, scaled, scaledTier);
  if (problem === undefined) return;
  throw new SrekitError('CHECK_FAILED', `could not scale tier ${writtenTier.name} of SLO `
    + `${written.name} (${written.file}) for the ${profile.name} profile: ${problem}`, {
    hint: `use windows and a period that divide by the speedup ${profile.speedup} into whole `
      + `seconds and stay at least ${profile.minRateWindowScrapes} scrape intervals long`,
  });
}

function scalingProblem(
  written: SloDefinition,
  writtenTier: BurnRateTier,
  scaled: SloDefinition,
  scaledTier: BurnRateTier,
): string | undefined {
  if (scaledTier.longWindow <= scaledTier.shortWindow) {
    return `its long window ${formatDuration(scaledTier.longWindow)} is no longer than its `
      + `short window ${formatDuration(scaledTier.shortWindow)}`;
  }
  const before = burnFactor(writtenTier, written.period);
  const after = burnFactor(scaledTier, scaled.period);
  if (before !== after) return `its burn factor changes from ${before} to ${after}`;
  return undefined;
}

/**
 * Returns the evaluation interval, in seconds, of the SLO rules over the long
 * windows for `profile`: one minute divided by the speedup, rounded up, and
 * never shorter than the profile's evaluation interval.
 */
export function scaleSloLongWindowInterval(profile: Profile): number {
  return Math.max(Math.ceil(longWindowInterval / profile.speedup), profile.evaluationInterval);
}
