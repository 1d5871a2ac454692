import { SrekitError } from './errors.js';

/** The signals that interrupt long work: Ctrl-C, `kill`, and a closed terminal or SSH session. */
export const interruptSignals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `work` with a signal that the first of {@link interruptSignals}
 * aborts, giving an INTERRUPTED error that names `command` as the reason, so
 * the work can stop what it started. The handlers are removed afterwards, and a second
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
  for (const name of interruptSignals) process.once(name, interrupt);
  try {
    return await work(controller.signal);
  } finally {
    for (const name of interruptSignals) process.off(name, interrupt);
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
