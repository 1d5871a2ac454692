import type { FastifyPluginCallback } from 'fastify';

/** Options of {@link healthPlugin}. */
export interface HealthPluginOptions {
  /** Resolves when the app can serve requests and rejects with the reason when it cannot. */
  checkReadiness(): Promise<void>;
  /** Time in milliseconds after which a pending readiness check fails; 2000 by default. */
  readinessTimeoutMs?: number;
}

/**
 * Serves the probes `/healthz` (200 while the process runs) and `/readyz`
 * (200 when `checkReadiness` resolves in time, 503 otherwise). Readiness
 * changes are logged once per change, not once per probe.
 */
export const healthPlugin: FastifyPluginCallback<HealthPluginOptions> = (app, options, done) => {
  const timeoutMs = options.readinessTimeoutMs ?? 2000;
  let lastReady = true;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await withTimeout(options.checkReadiness(), timeoutMs);
      if (!lastReady) request.log.info('readiness check passed again');
      lastReady = true;
      return { status: 'ready' };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (lastReady) request.log.warn({ reason }, 'readiness check failed');
      lastReady = false;
      return reply.code(503).send({ status: 'unavailable', error: reason });
    }
  });

  done();
};

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
