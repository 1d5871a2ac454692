/**
 * Waiting for the notifiers: pauses that end early on stop, exponential
 * backoff with jitter, and the Retry-After header.
 */
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `ms` milliseconds. Returns false at once when `signal` aborts,
 * before or during the wait, and true when the whole time passed.
 */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(Math.max(0, ms), undefined, { signal });
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}

/** Backoff settings for retried deliveries, in milliseconds. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  initialDelayMs: number;
  /** Upper bound of any delay, before jitter. */
  maxDelayMs: number;
}

/** Backoff for webhook deliveries: 1 s, 2 s, 4 s and so on up to 5 minutes. */
export const defaultBackoff: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 5 * 60_000 };

/**
 * Returns the delay before retry number `attempt` (0 for the first retry).
 * The initial delay doubles per attempt up to the maximum. A random share
 * between half and all of it is returned, so that notifiers that failed
 * together do not retry together.
 */
export function backoffDelay(
  attempt: number, options: BackoffOptions, random: () => number = Math.random,
): number {
  const exponential = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** attempt);
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * Parses a Retry-After header into milliseconds from `now`: either a number
 * of seconds or an HTTP date such as `Fri, 04 Dec 2026 20:00:05 GMT`.
 * Returns undefined when the header is missing or invalid. A date in the
 * past gives 0.
 */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only IMF-fixdate, the form RFC 9110 requires senders to generate, is
  // read. The two obsolete forms are ignored, because matching them loosely
  // with Date.parse would also accept text such as "-5".
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) {
    return undefined;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
