import { Agent, request } from 'node:http';
import type { Delivery } from './workload.js';

/** Options of {@link sendWaves}. */
export interface LoadOptions {
  /** Base URL of the incident server. */
  url: string;
  token: string;
  /** Requests in flight at once, each on its own keep-alive connection. */
  concurrency: number;
  signal?: AbortSignal;
}

/** Latencies and failures that the load generator measured. */
export interface LoadResult {
  /** Latency of each delivery that got a response, in milliseconds, in completion order. */
  latenciesMs: number[];
  /** Wall time from the first request to the last response, in seconds. */
  seconds: number;
  /** Deliveries that got a status other than 200, counted by status. */
  failedByStatus: Record<string, number>;
  /** Deliveries that got no response (connection errors), with the first error. */
  errors: number;
  firstError: string | undefined;
}

const webhookPath = '/v1/webhooks/alertmanager';

/**
 * Sends every delivery once, wave after wave, with `concurrency` workers
 * that each send one request at a time. The next wave starts when the
 * last response of the one before it has arrived.
 */
export async function sendWaves(waves: Delivery[][], options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const result: LoadResult = {
    latenciesMs: [], seconds: 0, failedByStatus: {}, errors: 0, firstError: undefined,
  };
  const target = new URL(webhookPath, options.url);
  const started = process.hrtime.bigint();
  try {
    for (const wave of waves) {
      if (options.signal?.aborted) break;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < wave.length && options.signal?.aborted !== true) {
          const delivery = wave[next] as Delivery;
          next += 1;
          await sendOne(target, options.token, agent, delivery, result);
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, worker));
    }
  } finally {
    agent.destroy();
  }
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return result;
}

async function sendOne(
  target: URL, token: string, agent: Agent, delivery: Delivery, result: LoadResult,
): Promise<void> {
  const started = process.hrtime.bigint();
  try {
    const status = await post(target, token, agent, delivery.body);
    result.latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (status !== 200) {
      result.failedByStatus[status] = (result.failedByStatus[status] ?? 0) + 1;
    }
  } catch (error) {
    result.errors += 1;
    result.firstError ??= (error as Error).message;
  }
}

/** Sends one POST and resolves with the status once the whole response has arrived. */
function post(target: URL, token: string, agent: Agent, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(target, {
      method: 'POST',
      agent,
      headers: {
        'authorization': `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': body.length,
      },
    }, (response) => {
      response.on('error', reject);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.resume();
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
