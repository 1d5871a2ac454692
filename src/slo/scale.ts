import { formatDuration } from './duration.js';
import { alertPolicy, type AlertDefinition } from './policy.js';
import type { Profile, SeverityLabel } from './profiles.js';

/**
 * Base URL of the runbooks in rendered rules. The kit has no hosted
 * documentation site, so the default is the path of the runbooks inside this
 * repository, which every checkout contains and code hosts render. Set a full
 * URL where the repository is published to make the links clickable.
 */
export const defaultRunbookBaseUrl = 'docs/runbooks/';

/** An alert of the policy with every duration scaled for one profile. */
export interface ScaledAlert {
  name: string;
  severity: SeverityLabel;
  /** The PromQL expression with the scaled windows. */
  expression: string;
  /** Seconds the expression must hold before the alert fires. */
  for: number;
  /** Seconds the alert keeps firing after the expression stops holding: 0, unused so far. */
  keepFiringFor: number;
  /** Durations of the expression (windows, prediction horizons), in seconds, by name. */
  windows: Record<string, number>;
  labels: { severity: SeverityLabel };
  annotations: { summary: string; description: string; runbook_url: string };
  /** For ratio alerts: the scaled window in seconds, the threshold and the minimum request rate. */
  ratio?: { window: number; threshold: number; minRequestRate: number };
}

/** Options for {@link scaleAlerts}. */
export interface ScaleOptions {
  /** Base URL that `runbook_url` annotations start with; {@link defaultRunbookBaseUrl} if unset. */
  runbookBaseUrl?: string;
}

/**
 * Returns the alert policy scaled for `profile`: every window and `for` is
 * divided by the profile's speedup and rounded up to whole seconds. A window
 * never drops below `minRateWindowScrapes` scrape intervals, and a non-zero
 * `for` never below one evaluation interval.
 */
export function scaleAlerts(profile: Profile, options: ScaleOptions = {}): ScaledAlert[] {
  return alertPolicy.map((definition) => scaleAlert(definition, profile, options));
}

function scaleAlert(
  definition: AlertDefinition,
  profile: Profile,
  options: ScaleOptions,
): ScaledAlert {
  const windows: Record<string, number> = {};
  const windowTexts: Record<string, string> = {};
  for (const [name, seconds] of Object.entries(definition.windows)) {
    windows[name] = scaleWindow(seconds, profile);
    windowTexts[name] = formatDuration(windows[name]);
  }

  const forSeconds = scaleFor(definition.for, profile);
  const durations = { ...windowTexts, for: formatDuration(forSeconds) };
  const alert: ScaledAlert = {
    name: definition.name,
    severity: definition.severity,
    expression: definition.expression(windowTexts, windows),
    for: forSeconds,
    keepFiringFor: 0,
    windows,
    labels: { severity: definition.severity },
    annotations: {
      summary: definition.summary(durations),
      description: definition.description(durations),
      runbook_url: joinUrl(options.runbookBaseUrl ?? defaultRunbookBaseUrl, definition.runbook),
    },
  };
  if (definition.ratio) {
    const { window, threshold, minRequestRate } = definition.ratio;
    alert.ratio = { window: windows[window] ?? 0, threshold, minRequestRate };
  }
  return alert;
}

/**
 * Returns a window of `seconds` scaled for `profile`: divided by the speedup,
 * rounded up, and never below `minRateWindowScrapes` scrape intervals.
 */
export function scaleWindow(seconds: number, profile: Profile): number {
  const floor = profile.minRateWindowScrapes * profile.scrapeInterval;
  return Math.max(Math.ceil(seconds / profile.speedup), floor);
}

function scaleFor(seconds: number, profile: Profile): number {
  if (seconds === 0) return 0;
  return Math.max(Math.ceil(seconds / profile.speedup), profile.evaluationInterval);
}

function joinUrl(base: string, file: string): string {
  return base.endsWith('/') ? `${base}${file}` : `${base}/${file}`;
}
