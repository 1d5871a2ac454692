import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/bin.js', import.meta.url));

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI and closes the read end of `closed` right after the
 * spawn, so the first write of the CLI fails with EPIPE, as in
 * `srekit ... | head` when head exits first.
 */
function runWithClosedPipe(args: string[], closed: 'stdout' | 'stderr'): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    const output = { stdout: '', stderr: '' };
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = child[name];
      if (name === closed) {
        stream.destroy();
        continue;
      }
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => { output[name] += chunk; });
    }
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
  });
}

for (const args of [['slo', 'alerts'], ['slo', 'alerts', '--json']]) {
  test(`${args.join(' ')} ends quietly on closed stdout`, async () => {
    const result = await runWithClosedPipe(args, 'stdout');
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
  });
}

test('closed stderr keeps the exit code', async () => {
  const result = await runWithClosedPipe(['slo', 'validate', '/nonexistent/x.yaml'], 'stderr');
  assert.equal(result.stdout, '');
  assert.equal(result.code, 2);
});
