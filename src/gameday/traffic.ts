/** Counts of what the traffic driver sent and what came back. */
export interface TrafficStats {
  sent: number;
  /** Responses by HTTP status code. */
  byStatus: Record<string, number>;
  /** Requests that got no HTTP response: refused, reset or timed out. */
  transportErrors: number;
  /** Requests skipped because too many were still in flight. */
  skipped: number;
}

const requestTimeoutMs = 5_000;
// Room for the latency scenario, which delays each request by 750 ms, so
// about 38 requests are in flight at 50 a second.
const maxInFlight = 200;

/** The routes the driver calls, each of which gets its own 5xx series when it fails. */
export const trafficRoutes = ['POST /orders', 'GET /orders', 'GET /orders/:id'] as const;

/**
 * Sends steady traffic to the orders API: order creations, listings and
 * reads by id, at a fixed rate, until stopped. Requests are not awaited
 * one by one, so a slow service does not lower the offered rate; past
 * {@link maxInFlight} outstanding requests new ones are skipped and counted.
 * Each timer tick sends every request due since the start, because timers
 * fire late on a busy machine and would otherwise lower the rate.
 */
export class TrafficDriver {
  private readonly stats: TrafficStats = { sent: 0, byStatus: {}, transportErrors: 0, skipped: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly knownIds: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private tick = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly requestsPerSecond: number,
  ) {
    if (!(requestsPerSecond > 0 && requestsPerSecond <= 1000)) {
      throw new RangeError(`invalid traffic rate ${requestsPerSecond}: expected 1 to 1000 requests per second`);
    }
  }

  /** Starts sending; calling it twice has no further effect. */
  start(): void {
    if (this.timer) return;
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.sendDue(), 1000 / this.requestsPerSecond);
  }

  /** Stops sending and waits for the requests still in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Returns a copy of the counts so far. */
  snapshot(): TrafficStats {
    return { ...this.stats, byStatus: { ...this.stats.byStatus } };
  }

  private sendDue(): void {
    const due = Math.floor(((performance.now() - this.startedAt) / 1000) * this.requestsPerSecond);
    while (this.stats.sent + this.stats.skipped < due) this.sendOne();
  }

  private sendOne(): void {
    if (this.inFlight.size >= maxInFlight) {
      this.stats.skipped += 1;
      return;
    }
    this.stats.sent += 1;
    const request = this.request(this.tick++).finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  private async request(tick: number): Promise<void> {
    const { path, init } = this.nextRequest(tick);
    try {
      const response = await fetch(new URL(path, this.baseUrl), {
        ...init,
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const body = await response.text();
      const key = String(response.status);
      this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
      if (response.status === 201) this.rememberId(body);
    } catch {
      this.stats.transportErrors += 1;
    }
  }

  // Two creations, one listing and one read by id in every four requests,
  // so writes, reads and the paging query all carry load.
  private nextRequest(tick: number): { path: string; init: RequestInit } {
    const id = this.knownIds[tick % Math.max(this.knownIds.length, 1)];
    if (tick % 4 === 2) return { path: '/orders?limit=10', init: {} };
    if (tick % 4 === 3 && id !== undefined) return { path: `/orders/${id}`, init: {} };
    const order = {
      customer: `gameday-${tick % 97}`,
      items: [{ sku: `SKU-${tick % 13}`, quantity: 1 + (tick % 3) }],
    };
    return {
      path: '/orders',
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order),
      },
    };
  }

  private rememberId(body: string): void {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && 'id' in parsed) {
        if (this.knownIds.length < 1000) this.knownIds.push(String(parsed.id));
      }
    } catch {
      // A 201 without a JSON body is the service's bug, not the driver's; skip it.
    }
  }
}
