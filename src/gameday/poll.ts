import { sleep } from '../common/interrupt.js';

/**
 * Calls `probe` every `pollIntervalMs` until it returns a value, and returns
 * that value. Returns undefined once a probe finds nothing at or after
 * `deadline`, and throws the signal's reason when `signal` aborts. An error
 * from `probe` is not retried but thrown.
 */
export async function pollUntilFound<T>(
  probe: () => Promise<T | undefined>,
  deadline: Date,
  signal: AbortSignal | undefined,
  pollIntervalMs: number,
): Promise<T | undefined> {
  for (;;) {
    signal?.throwIfAborted();
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() >= deadline.getTime()) return undefined;
    await sleep(pollIntervalMs, signal);
  }
}
