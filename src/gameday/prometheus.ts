import { sleep } from '../common/interrupt.js';

/** Runs an instant query and returns the sample values of the result vector. */
export async function queryValues(prometheusUrl: string, expression: string): Promise<number[]> {
  const url = new URL('/api/v1/query', prometheusUrl);
  url.searchParams.set('query', expression);
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) {
    throw new Error(`Prometheus query ${expression} failed: HTTP ${response.status} ${await response.text()}`);
  }
  const body = (await response.json()) as {
    data?: { resultType?: string; result?: Array<{ value?: [number, string] }> };
  };
  return (body.data?.result ?? []).map((sample) => Number(sample.value?.[1]));
}

/**
 * Polls `condition` every half second until it returns true; returns false
 * when `timeoutMs` passes first. Errors from the condition count as false,
 * because servers that are starting refuse connections for a while. Throws
 * the signal's reason when `signal` aborts.
 */
export async function waitUntil(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    try {
      if (await condition()) return true;
    } catch {
      // Not ready yet; try again until the deadline.
    }
    if (Date.now() >= deadline) return false;
    await sleep(500, signal);
  }
}
