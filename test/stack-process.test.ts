import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  findExecutable, findFreePorts, formatHostPort, isPortFree, isProcessRunning, processGroupMembers,
  spawnDetached, stopProcessGroup, waitForHttpReady,
} from '../src/common/process.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-process-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function waitForMembers(groupId: number, count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const members = processGroupMembers(groupId);
    if (members.length >= count) return members;
    await sleep(20);
  }
  return processGroupMembers(groupId);
}

test('spawnDetached leads a new group and logs', async (t) => {
  const logFile = join(await tempDir(t), 'out.log');
  const child = await spawnDetached({
    command: 'sh', args: ['-c', 'echo started; echo oops >&2; sleep 30 & sleep 30'], logFile,
  });
  t.after(() => stopProcessGroup(child.pid, 1_000));
  assert.ok(isProcessRunning(child.pid, child.startTime));
  const members = await waitForMembers(child.pid, 3);
  assert.equal(members.length, 3, 'sh and both sleeps share the group');
  assert.ok(members.includes(child.pid));

  const outcome = await stopProcessGroup(child.pid, 2_000);
  assert.equal(outcome, 'terminated');
  assert.deepEqual(processGroupMembers(child.pid), []);
  for (const pid of members) assert.equal(isProcessRunning(pid), false, `pid ${pid} still runs`);
  assert.equal(await readFile(logFile, 'utf8'), 'started\noops\n');
});

test('stopProcessGroup kills what ignores SIGTERM', async (t) => {
  const logFile = join(await tempDir(t), 'out.log');
  // The ignored SIGTERM is inherited by sleep as well.
  const child = await spawnDetached({
    command: 'sh', args: ['-c', 'trap "" TERM; sleep 30 & wait'], logFile,
  });
  t.after(() => stopProcessGroup(child.pid, 0));
  await waitForMembers(child.pid, 2);
  const started = Date.now();
  assert.equal(await stopProcessGroup(child.pid, 300), 'killed');
  assert.ok(Date.now() - started >= 300, 'SIGKILL waited for the grace period');
  assert.deepEqual(processGroupMembers(child.pid), []);
  assert.equal(await stopProcessGroup(child.pid, 300), 'not-running');
});

test('a reused pid is not stopped', async (t) => {
  const logFile = join(await tempDir(t), 'out.log');
  const child = await spawnDetached({ command: 'sleep', args: ['30'], logFile });
  t.after(() => stopProcessGroup(child.pid, 0));
  assert.equal(isProcessRunning(child.pid, 'another start time'), false);
  assert.equal(await stopProcessGroup(child.pid, 100, 'another start time'), 'not-running');
  assert.ok(isProcessRunning(child.pid, child.startTime));
});

test('spawnDetached rejects a missing program', async (t) => {
  const logFile = join(await tempDir(t), 'out.log');
  await assert.rejects(
    spawnDetached({ command: '/nonexistent/program', args: [], logFile }),
    { code: 'ENOENT' },
  );
});

test('waitForHttpReady reports an exited process', async (t) => {
  const logFile = join(await tempDir(t), 'out.log');
  const child = await spawnDetached({ command: 'sh', args: ['-c', 'exit 3'], logFile });
  const [port] = await findFreePorts(1);
  const result = await waitForHttpReady(`http://127.0.0.1:${port}/`, {
    timeoutMs: 5_000,
    isAlive: () => isProcessRunning(child.pid, child.startTime),
  });
  assert.equal(result.ready, false);
  assert.equal(result.ready === false && result.reason, 'exited');
  assert.equal(result.ready === false && result.lastError, `connect ECONNREFUSED 127.0.0.1:${port}`);
});

test('waitForHttpReady waits for a 2xx', async (t) => {
  let requests = 0;
  const server = createServer((_request, response) => {
    requests += 1;
    response.statusCode = requests < 3 ? 503 : 200;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;

  assert.deepEqual(await waitForHttpReady(`http://127.0.0.1:${port}/`, { timeoutMs: 5_000 }),
    { ready: true });
  assert.equal(requests, 3);
  requests = -1_000;
  const timedOut = await waitForHttpReady(`http://127.0.0.1:${port}/`, { timeoutMs: 300 });
  assert.deepEqual(timedOut, { ready: false, reason: 'timeout', lastError: 'HTTP 503' });
});

test('port helpers see a listening port', async (t) => {
  const ports = await findFreePorts(6);
  assert.equal(new Set(ports).size, 6, 'ports are distinct');
  const port = ports[0] ?? 0;
  assert.equal(await isPortFree(port), true);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  assert.equal(await isPortFree(port), false);
});

test('findExecutable searches PATH in order', () => {
  assert.equal(findExecutable(['sh'], '/nonexistent:/bin'), '/bin/sh');
  assert.equal(findExecutable(['no-such-program', 'sh'], '/bin'), '/bin/sh');
  assert.equal(findExecutable(['sh'], '/nonexistent'), undefined);
  assert.equal(findExecutable(['/bin/sh'], ''), '/bin/sh');
  assert.equal(findExecutable(['/etc/passwd'], ''), undefined, 'not executable');
});

test('formatHostPort brackets IPv6 hosts', () => {
  assert.equal(formatHostPort('127.0.0.1', 9090), '127.0.0.1:9090');
  assert.equal(formatHostPort('localhost', 9090), 'localhost:9090');
  assert.equal(formatHostPort('::1', 46100), '[::1]:46100');
  assert.equal(formatHostPort('fe80::1', 80), '[fe80::1]:80');
});
