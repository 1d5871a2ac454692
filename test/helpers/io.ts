import { Writable } from 'node:stream';
import type { Io } from '../../src/common/io.js';

/** An {@link Io} whose output is kept in memory, for calling `run` in tests. */
export interface CapturedIo extends Io {
  out(): string;
  err(): string;
}

/** Creates a {@link CapturedIo} with the given environment. */
export function captureIo(env: NodeJS.ProcessEnv = {}): CapturedIo {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (target: string[]) => new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      target.push(chunk.toString());
      done();
    },
  });
  return {
    stdout: sink(chunks.out),
    stderr: sink(chunks.err),
    env,
    interactive: false,
    out: () => chunks.out.join(''),
    err: () => chunks.err.join(''),
  };
}
