import type { TestContext } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopStack } from '../../src/stack/index.js';

/**
 * Creates a temporary stack working directory. When the test ends, any stack
 * still running in it is stopped and the directory is removed.
 */
export async function tempStackWorkdir(t: TestContext): Promise<string> {
  const workdir = await mkdtemp(join(tmpdir(), 'srekit-stack-'));
  t.after(async () => {
    await stopStack(workdir, { graceMs: 1_000 });
    await rm(workdir, { recursive: true, force: true });
  });
  return workdir;
}
