/**
 * The timings that bound how long an alert takes from a fault to a
 * notification at the receiver. All values are in seconds.
 */
export interface AlertTiming {
  scrapeInterval: number;
  evaluationInterval: number;
  /** The rule's `for`: how long the condition must hold before it fires. */
  forDuration: number;
  /** The rule's `keep_firing_for`, 0 when unset. */
  keepFiringFor: number;
  /** Alertmanager's wait before the first notification of a new group. */
  groupWait: number;
  /** Alertmanager's wait before it sends changes to a group it already notified. */
  groupInterval: number;
  /**
   * For ratio alerts: the range of the rate window, the ratio threshold and
   * the share of requests the fault fails. Unset for alerts on a gauge.
   */
  ratio?: { window: number; threshold: number; faultShare: number };
}

/**
 * Time allowed on top of the arithmetic for what it leaves out: HTTP
 * delivery, the receiver's polling, process scheduling, and rate()
 * extrapolation at the edges of a window.
 */
export const deliveryAllowanceSeconds = 3;

/**
 * Returns the longest time from a fault to the firing notification.
 * Prometheus records the fault at the next scrape, and the rule matches it at
 * the next evaluation. The alert then stays pending for `for` and fires on
 * the first evaluation after that. Alertmanager delays a new group by
 * `group_wait`.
 */
export function maxSecondsToDetect(timing: AlertTiming): number {
  const conditionTrue = timing.scrapeInterval + timeForRatioToRise(timing);
  return conditionTrue
    + 2 * timing.evaluationInterval
    + timing.forDuration
    + timing.groupWait
    + deliveryAllowanceSeconds;
}

/**
 * Returns the longest time from the end of a fault that lasted at least one
 * window to the resolved notification. Alertmanager sends the change of an
 * already notified group at its next `group_interval` tick.
 */
export function maxSecondsToResolve(timing: AlertTiming): number {
  const conditionFalse = timing.scrapeInterval + timeForRatioToFall(timing);
  return conditionFalse
    + timing.evaluationInterval
    + timing.keepFiringFor
    + timing.groupInterval
    + deliveryAllowanceSeconds;
}

// With steady traffic and no errors before the fault, the error ratio over a
// window of length W, t seconds into a fault that fails a share f, is f·t/W.
// It crosses the threshold θ at t = W·θ/f.
function timeForRatioToRise(timing: AlertTiming): number {
  if (!timing.ratio) return 0;
  const { window, threshold, faultShare } = timing.ratio;
  return (window * threshold) / faultShare;
}

// After a fault that lasted at least a window, the ratio t seconds after
// recovery is f·(W−t)/W, which falls under θ at t = W·(1−θ/f).
function timeForRatioToFall(timing: AlertTiming): number {
  if (!timing.ratio) return 0;
  return timing.ratio.window - timeForRatioToRise(timing);
}
