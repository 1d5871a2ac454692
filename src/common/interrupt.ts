import { SrekitError } from './errors.js';

/**
 * Runs `work` with a signal that the first SIGINT or SIGTERM aborts, giving
 * an INTERRUPTED error that names `command` as the reason, so the work can
 * stop what it started. The handlers are removed afterwards, and a second
 * signal during the clean-up takes Node's default action and ends the process.
 */
export async function runInterruptible<T>(
  command: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const interrupt = (signal: NodeJS.Signals) => {
    controller.abort(new SrekitError('INTERRUPTED', `${command} was interrupted by ${signal}`));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/** Waits `ms` milliseconds, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
