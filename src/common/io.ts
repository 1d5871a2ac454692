import type { Writable } from 'node:stream';

/**
 * The streams and environment a command runs with. The `bin` entry passes the
 * real process streams; tests pass buffers.
 */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** True when stderr is a terminal, so progress may redraw lines. */
  interactive: boolean;
}

/** Returns the {@link Io} of the current process. */
export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    interactive: Boolean(process.stderr.isTTY),
  };
}

/** Writes one `--json` record: a JSON object tagged with `type`, on its own line. */
export function writeJsonLine(out: Writable, type: string, fields: Record<string, unknown>): void {
  out.write(`${JSON.stringify({ type, ...fields })}\n`);
}
