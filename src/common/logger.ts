import { pino, type Logger } from 'pino';
import type { Writable } from 'node:stream';

/**
 * Creates a pino logger writing JSON lines to `destination` (stderr unless
 * given). The level comes from `SREKIT_LOG_LEVEL`, `info` by default.
 */
export function createLogger(
  name: string,
  destination: Writable = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): Logger {
  return pino({ name, level: env.SREKIT_LOG_LEVEL ?? 'info' }, destination);
}

export type { Logger };
