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
   * Time from the start of a request to its count in the metrics, which the
   * service records when the response ends: the injected latency of a
   * latency fault, 0 or unset otherwise.
   */
  observationDelay?: number;
  /** For alerts on a share of requests over a window. Unset for alerts on a gauge. */
  ratio?: ShareCondition;
  /**
   * A second, shorter window over which the share must also pass the
   * threshold of `ratio`, as HighErrorRatio confirms its ratio. Unset for
   * alerts on one window.
   */
  confirmationWindow?: number;
}

/**
 * A condition on the share of requests over a window: the error ratio, or
 * for a quantile alert the share of requests slower than its threshold.
 */
export interface ShareCondition {
  window: number;
  /** The share above which the condition holds. */
  threshold: number;
  /** The share of requests the fault affects. */
  faultShare: number;
  /** The share still affected after the fix: 0, or more when the fix only mitigates. */
  remainingShare?: number;
  /**
   * Seconds of steady traffic before the fault. A window longer than this
   * contains less clean traffic, so its share rises faster. Unset means at
   * least one window.
   */
  history?: number;
  /** Set when the fault affects each request at random, as the service's `errorRate` does. */
  random?: RandomFault;
}

/**
 * The traffic of a fault that affects each request at random with the
 * fault share. The count of affected requests in a window then varies, and
 * the bounds allow for it to miss its expected value by
 * {@link noiseDeviations} standard deviations.
 */
export interface RandomFault {
  requestsPerSecond: number;
  /**
   * Affected requests that the metrics never count. increase() cannot see
   * the count in the first scrape of a series, so each route whose first
   * 5xx starts a new series loses about one failure.
   */
  uncounted: number;
}

/**
 * Standard deviations by which the count of randomly affected requests may
 * miss its expected value: a Poisson count stays within 3 of them about
 * 99.9% of the time.
 */
export const noiseDeviations = 3;

/**
 * The timings of a multiwindow burn-rate alert: it fires while the error
 * ratio over both windows is at least the threshold, and while the long
 * window contains enough requests.
 */
export interface BurnAlertTiming extends Omit<AlertTiming, 'ratio'> {
  burn: BurnCondition;
}

/** The condition of a burn-rate alert and the fault that drives it. */
export interface BurnCondition {
  /** The error ratio both windows must reach: burn factor × error budget. */
  threshold: number;
  longWindow: number;
  shortWindow: number;
  /** Evaluation interval of the recording rules over the long window. */
  longWindowInterval: number;
  /** Requests the long window must hold: the SLO's minimum request rate × the long window. */
  minRequests: number;
  /** Steady traffic sent to the service. */
  requestsPerSecond: number;
  faultShare: number;
  /** The error share after the fix, 0 unless the fix only mitigates. */
  remainingShare?: number;
  /** Seconds of steady traffic before the fault; unset means at least the long window. */
  history?: number;
  /** Failures that the metrics never count; see {@link RandomFault}. */
  uncounted: number;
}

/**
 * Time allowed on top of the arithmetic for what it leaves out: HTTP
 * delivery, the receiver's polling, process scheduling, and rate()
 * extrapolation at the edges of a window.
 */
export const deliveryAllowanceSeconds = 3;

/**
 * Returns the longest time from a fault until Prometheus sends the firing
 * alert to Alertmanager. Prometheus records the fault at the next scrape,
 * and the rule matches it at the next evaluation. The alert then stays
 * pending for `for` and fires on the first evaluation after that.
 */
export function maxSecondsToFire(timing: AlertTiming): number {
  const conditionTrue = timing.scrapeInterval
    + (timing.observationDelay ?? 0)
    + (timing.ratio ? timeForConditionToHold(timing.ratio, timing.confirmationWindow) : 0);
  return conditionTrue
    + 2 * timing.evaluationInterval
    + timing.forDuration
    + deliveryAllowanceSeconds;
}

/**
 * Returns the longest time from a fault to the firing notification:
 * {@link maxSecondsToFire}, then Alertmanager's `group_wait` for a new group.
 */
export function maxSecondsToDetect(timing: AlertTiming): number {
  return maxSecondsToFire(timing) + timing.groupWait;
}

/**
 * Returns the longest time from the fix until Prometheus sends the resolved
 * alert to Alertmanager, for a fault that lasted long enough to fire.
 */
export function maxSecondsToStopFiring(timing: AlertTiming): number {
  const conditionFalse = timing.scrapeInterval
    + (timing.observationDelay ?? 0)
    + (timing.ratio ? timeForConditionToEnd(timing.ratio, timing.confirmationWindow) : 0);
  return conditionFalse
    + timing.evaluationInterval
    + timing.keepFiringFor
    + deliveryAllowanceSeconds;
}

/**
 * Returns the longest time from the fix to the resolved notification.
 * Alertmanager sends the change of an already notified group at its next
 * `group_interval` tick.
 */
export function maxSecondsToResolve(timing: AlertTiming): number {
  return maxSecondsToStopFiring(timing) + timing.groupInterval;
}

/**
 * Returns the condition of a latency quantile alert, such as a p95 above a
 * threshold, as a share condition. The q-quantile of a histogram lies above
 * the threshold once more than 1 − q of the requests in the window are
 * slower than it, when the slow requests fall in buckets above the
 * threshold. `slowShare` is the share of requests the fault slows down.
 */
export function quantileCondition(
  condition: Omit<ShareCondition, 'threshold' | 'faultShare'> & {
    quantile: number;
    slowShare: number;
  },
): ShareCondition {
  const { quantile, slowShare, ...rest } = condition;
  // Rounded, so that 1 − 0.95 is 0.05 and not 0.050000000000000044.
  const threshold = Number((1 - quantile).toPrecision(12));
  return { ...rest, threshold, faultShare: slowShare };
}

/**
 * Returns the longest time from a fault to the firing notification of a
 * burn-rate alert. Both windows must reach the threshold, and the long
 * window must hold the minimum number of requests. The long window's
 * ratio is recorded only every `longWindowInterval`, which adds that much.
 */
export function maxSecondsToDetectBurn(timing: BurnAlertTiming): number {
  const { burn } = timing;
  const shared = {
    threshold: burn.threshold,
    faultShare: burn.faultShare,
    history: burn.history,
    random: { requestsPerSecond: burn.requestsPerSecond, uncounted: burn.uncounted },
  };
  const long = timeForShareToRise({ ...shared, window: burn.longWindow });
  const short = timeForShareToRise({ ...shared, window: burn.shortWindow });
  const conditionTrue = timing.scrapeInterval + (timing.observationDelay ?? 0) + Math.max(
    long + burn.longWindowInterval,
    short,
    timeToMinRequests(burn) + burn.longWindowInterval,
  );
  return conditionTrue
    + 2 * timing.evaluationInterval
    + timing.forDuration
    + timing.groupWait
    + deliveryAllowanceSeconds;
}

/**
 * Returns the longest time from the fix to the resolved notification of a
 * burn-rate alert. It stops firing as soon as either window falls under
 * the threshold, which is nearly always the short one.
 */
export function maxSecondsToResolveBurn(timing: BurnAlertTiming): number {
  const { burn } = timing;
  const shared = {
    threshold: burn.threshold,
    faultShare: burn.faultShare,
    remainingShare: burn.remainingShare,
    random: { requestsPerSecond: burn.requestsPerSecond, uncounted: burn.uncounted },
  };
  const long = timeForShareToFall({ ...shared, window: burn.longWindow });
  const short = timeForShareToFall({ ...shared, window: burn.shortWindow });
  const conditionFalse = timing.scrapeInterval + (timing.observationDelay ?? 0)
    + Math.min(long + burn.longWindowInterval, short);
  return conditionFalse
    + timing.evaluationInterval
    + timing.keepFiringFor
    + timing.groupInterval
    + deliveryAllowanceSeconds;
}

/**
 * Returns the seconds after the start of a fault until the share reaches
 * the threshold over the window and, when `confirmationWindow` is set, over
 * that window too. Both shares only rise while the fault lasts, so the
 * later of the two crossings applies.
 */
export function timeForConditionToHold(
  condition: ShareCondition,
  confirmationWindow?: number,
): number {
  const rise = timeForShareToRise(condition);
  if (confirmationWindow === undefined) return rise;
  return Math.max(rise, timeForShareToRise({ ...condition, window: confirmationWindow }));
}

/**
 * Returns the seconds after the fix until the share falls under the
 * threshold over the window or, when `confirmationWindow` is set, over that
 * window. The condition needs both, so it ends with the earlier fall, which
 * is nearly always the shorter window's.
 */
export function timeForConditionToEnd(
  condition: ShareCondition,
  confirmationWindow?: number,
): number {
  const fall = timeForShareToFall(condition);
  if (confirmationWindow === undefined) return fall;
  return Math.min(fall, timeForShareToFall({ ...condition, window: confirmationWindow }));
}

/**
 * Returns the seconds after the start of a fault until the share over the
 * window reaches the threshold, or Infinity when it never does.
 *
 * With steady traffic and no affected requests before the fault, the share
 * over a full window of length W, t seconds into a fault that affects a
 * share f, is f·t/W, which crosses the threshold θ at t = W·θ/f. When only
 * H < W seconds of traffic precede the fault, the window contains H + t
 * seconds of requests, so the share is f·t/(H + t), which crosses θ at
 * t = θ·H/(f − θ). The earlier of the two applies. Affected requests
 * before the fault only make the crossing earlier.
 *
 * For a random fault, the n = f·r·t affected requests expected by then may
 * fall short by {@link noiseDeviations}·√n, and the uncounted ones are
 * missing too. Affected requests outgrow the threshold's count by at least
 * (f − θ)·r a second, so making up the shortfall takes at most that long.
 */
export function timeForShareToRise(condition: ShareCondition): number {
  const { window, threshold, faultShare, random } = condition;
  if (faultShare <= threshold) return Number.POSITIVE_INFINITY;
  const fullWindow = (window * threshold) / faultShare;
  const expected = condition.history === undefined
    ? fullWindow
    : Math.min(fullWindow, (threshold * condition.history) / (faultShare - threshold));
  if (random === undefined) return expected;
  const affected = faultShare * random.requestsPerSecond * expected;
  const shortfall = noiseDeviations * Math.sqrt(affected) + random.uncounted;
  return expected + shortfall / ((faultShare - threshold) * random.requestsPerSecond);
}

/**
 * Returns the seconds after the fix until the share over the window falls
 * under the threshold, or Infinity when the remaining share keeps it above.
 *
 * The requests of the fault leave the window oldest first, replaced by
 * requests affected at the remaining share r. t seconds after the fix the
 * share is at most r + (f − r)·(W − t)/W, which falls under θ at
 * t = W·(1 − (θ − r)/(f − r)). A fault shorter than the window, or a
 * window that was not yet full of traffic, only makes the fall earlier.
 *
 * For a random fault, the window may hold {@link noiseDeviations}·√n more
 * affected requests than expected, where n = θ·W·r is the threshold's
 * count. They leave at (f − r)·r' a second at the traffic rate r'.
 */
export function timeForShareToFall(condition: ShareCondition): number {
  const { window, threshold, faultShare, random } = condition;
  const remaining = condition.remainingShare ?? 0;
  if (remaining >= threshold) return Number.POSITIVE_INFINITY;
  if (faultShare <= threshold) return 0;
  const expected = window * (1 - (threshold - remaining) / (faultShare - remaining));
  if (random === undefined) return expected;
  const atThreshold = threshold * window * random.requestsPerSecond;
  const excess = noiseDeviations * Math.sqrt(atThreshold);
  return expected + excess / ((faultShare - remaining) * random.requestsPerSecond);
}

// The gate counts the requests in the long window. With H seconds of
// steady traffic before the fault, it opens once the window contains
// minRequests of them. It never opens when a full window cannot.
function timeToMinRequests(burn: BurnCondition): number {
  if (burn.requestsPerSecond * burn.longWindow < burn.minRequests) return Number.POSITIVE_INFINITY;
  const history = burn.history ?? burn.longWindow;
  return Math.max(0, burn.minRequests / burn.requestsPerSecond - history);
}
