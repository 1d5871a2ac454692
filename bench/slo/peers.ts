/*
 * Rule counts of Sloth and Pyrra for one event-based (errors over total)
 * SLO, derived from their generators because neither can be installed
 * here: both are Go programs, packaged neither in Debian nor on npm. The
 * bench prints these counts next to srekit's and docs/alerting.md quotes
 * them; a test keeps the two equal.
 */

/** Recording and alerting rules that a tool generates for one SLO. */
export interface PeerRuleCount {
  tool: string;
  recording: number;
  alerting: number;
  /** Origin of the count, such as measured or derived from source. */
  source: string;
}

/**
 * Sloth's multi-window alert pairs (page quick and slow, ticket quick and
 * slow), as short and long windows. Its built-in 30-day and 28-day window
 * catalogs (internal/alert/windows/google-30d.yaml and google-28d.yaml) and
 * its 7-day example (examples/windows/7d.yaml) all use these windows and
 * differ only in the budget shares.
 */
const slothAlertWindows = [['5m', '1h'], ['30m', '6h'], ['2h', '1d'], ['6h', '3d']];

/** Sloth's metadata recording rules (internal/prometheus/recording_rules.go). */
const slothMetadataRecords = [
  'slo:objective:ratio', 'slo:error_budget:ratio', 'slo:time_period:days',
  'slo:current_burn_rate:ratio', 'slo:period_burn_rate:ratio',
  'slo:period_error_budget_remaining:ratio', 'sloth_slo_info',
];

/**
 * Returns Sloth's rule count for one SLO: an error ratio for each distinct
 * alert window and one for the period, the metadata records, and one page
 * and one ticket alert, each covering two window pairs.
 */
export function slothRuleCount(): PeerRuleCount {
  const windows = new Set(slothAlertWindows.flat());
  return {
    tool: 'Sloth',
    recording: windows.size + 1 + slothMetadataRecords.length,
    alerting: 2,
    source: 'counted from its generator, not run',
  };
}

/** Pyrra's four alert window pairs for a 28-day SLO (slo/rules.go, `Windows`), short and long. */
const pyrraAlertWindows = [['5m', '1h'], ['30m', '6h'], ['2h', '1d'], ['6h', '4d']];

/**
 * Returns Pyrra's rule count for one ratio SLO whose errors and total read
 * the same metric, with its default options: a burn rate for each distinct
 * window, one increase over the period, four burn-rate alerts and one
 * absent-metric alert. Pyrra scales the windows with the period, so their
 * number stays the same. Its optional generic rules (5 more) are left out.
 */
export function pyrraRuleCount(): PeerRuleCount {
  const windows = new Set(pyrraAlertWindows.flat());
  return {
    tool: 'Pyrra',
    recording: windows.size + 1,
    alerting: pyrraAlertWindows.length + 1,
    source: 'counted from its generator, not run',
  };
}
