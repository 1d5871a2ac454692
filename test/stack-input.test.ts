import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { run } from '../src/cli.js';
import { SrekitError } from '../src/common/errors.js';
import { stackLayout, startStack } from '../src/stack/index.js';
import { assertSrekitError } from './helpers/errors.js';
import { captureIo } from './helpers/io.js';
import { tempStackWorkdir } from './helpers/stack-workdir.js';
import { freeBasePort, freeStackPorts } from './helpers/stack-ports.js';

// Bad input to the stack commands: each case fails with a clear error and
// leaves no files and no processes behind.

const fastStack = { profile: 'gameday', readyTimeoutMs: 20_000, stopGraceMs: 5_000 } as const;

test('failed startup keeps the logs', async (t) => {
  const workdir = join(await tempStackWorkdir(t), 'created');
  const fakePrometheus = join(workdir, '..', 'fake-prometheus');
  await writeFile(fakePrometheus, '#!/bin/sh\necho "unknown flag $1" >&2\nexit 1\n', { mode: 0o755 });
  const logDir = stackLayout(workdir).logDir;
  await assert.rejects(
    startStack({
      ...fastStack,
      workdir,
      ports: await freeStackPorts(),
      executables: { prometheus: fakePrometheus },
    }),
    (error: unknown) => {
      assert.ok(error instanceof SrekitError);
      assert.equal(error.code, 'STARTUP_TIMEOUT');
      assert.match(error.hint ?? '', new RegExp(`the logs of the parts that ran stay in ${logDir}$`));
      return true;
    },
  );
  assert.match(await readFile(join(logDir, 'prometheus.log'), 'utf8'), /unknown flag/);
  await assert.rejects(access(stackLayout(workdir).stateFile), { code: 'ENOENT' });
});

async function listenOn(t: TestContext, port: number): Promise<void> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
}

test('busy port creates no workdir', async (t) => {
  const workdir = join(await tempStackWorkdir(t), 'new', 'stack');
  const ports = await freeStackPorts();
  await listenOn(t, ports.service);
  const progress: string[] = [];
  const onProgress = (message: string) => progress.push(message);
  await assert.rejects(startStack({ ...fastStack, workdir, ports, onProgress }),
    assertSrekitError('PORT_IN_USE',
      new RegExp(`: port 127\\.0\\.0\\.1:${ports.service} \\(service\\) is already in use`)));
  assert.deepEqual(progress, []);
  await assert.rejects(access(join(workdir, '..')), { code: 'ENOENT' }, 'no directory was created');
});

test('busy ports use the listener names', async (t) => {
  const base = await freeBasePort();
  await listenOn(t, base + 2);
  await listenOn(t, base + 4);
  const workdir = join(await tempStackWorkdir(t), 'stack');
  const io = captureIo(process.env);
  assert.equal(await run(['stack', 'up', '--workdir', workdir, '--base-port', String(base)], io), 1);
  assert.match(io.err(), new RegExp(`error: could not start the local stack: ports 127\\.0\\.0\\.1:${base + 2} `
    + `\\(node-exporter\\), 127\\.0\\.0\\.1:${base + 4} \\(service admin API\\) are already in use`));
  await assert.rejects(access(workdir), { code: 'ENOENT' }, 'the workdir was not created');
});

test('invalid workdir is rejected', async (t) => {
  const parent = await tempStackWorkdir(t);
  const file = join(parent, 'afile');
  await writeFile(file, 'not a directory\n');
  const cases = [
    { workdir: '', message: /error: invalid --workdir: empty \[INVALID_INPUT\]/ },
    { workdir: file, message: /error: invalid --workdir .*afile: it is a file, not a directory/ },
    { workdir: join(file, 'sub'), message: /error: invalid --workdir .*afile\/sub: .*afile is a file/ },
  ];
  for (const { workdir, message } of cases) {
    for (const command of [['up', '--base-port', String(await freeBasePort())], ['status'], ['down']]) {
      const io = captureIo(process.env);
      const code = await run(['stack', ...command, '--workdir', workdir], io);
      assert.equal(code, 2, `stack ${command[0]} --workdir '${workdir}': ${io.err()}`);
      assert.match(io.err(), message);
    }
  }
  assert.equal(await readFile(file, 'utf8'), 'not a directory\n');
  for (const name of ['state.json', 'config', 'data', 'logs']) {
    assert.equal(existsSync(name), false, `${name} was written to the current directory`);
  }
});

test('invalid timeout is rejected', async (t) => {
  const workdir = join(await tempStackWorkdir(t), 'stack');
  const cases = [
    { value: '0', message: /argument '0' is invalid\. it must be more than 0/ },
    { value: '0ms', message: /argument '0ms' is invalid\. it must be more than 0/ },
    { value: '-5', message: /argument '-5' is invalid\. invalid duration/ },
    { value: 'soon', message: /argument 'soon' is invalid\. invalid duration/ },
  ];
  for (const { value, message } of cases) {
    const io = captureIo(process.env);
    assert.equal(await run(['stack', 'up', '--workdir', workdir, '--timeout', value], io), 2, value);
    assert.match(io.err(), message);
  }
  await assert.rejects(access(workdir), { code: 'ENOENT' }, 'the workdir was not created');
  await assert.rejects(startStack({ ...fastStack, workdir, readyTimeoutMs: 0 }),
    assertSrekitError('INVALID_INPUT', /invalid ready timeout 0 ms/));
  await assert.rejects(access(workdir), { code: 'ENOENT' }, 'the workdir was not created');
});

test('zero grace period is accepted', async (t) => {
  const workdir = await tempStackWorkdir(t);
  const io = captureIo();
  assert.equal(await run(['stack', 'down', '--workdir', workdir, '--grace', '0'], io), 0);
  assert.match(io.err(), /nothing to stop/);
});

test('start before any part ran removes its files', async (t) => {
  const parent = await tempStackWorkdir(t);
  const reason = new Error('stopped by the test');
  const ports = await freeStackPorts();
  const aborted = { ...fastStack, ports, signal: AbortSignal.abort(reason) };

  const created = join(parent, 'new', 'stack');
  await assert.rejects(startStack({ ...aborted, workdir: created }), (error) => error === reason);
  await assert.rejects(access(join(parent, 'new')), { code: 'ENOENT' }, 'the created parent was removed');

  const existing = join(parent, 'existing');
  await mkdir(existing);
  await writeFile(join(existing, 'notes.txt'), 'kept\n');
  await assert.rejects(startStack({ ...aborted, workdir: existing }), (error) => error === reason);
  assert.deepEqual(await readdir(existing), ['notes.txt']);
});

test('state file that is a directory is invalid', async (t) => {
  const workdir = await tempStackWorkdir(t);
  const stateFile = stackLayout(workdir).stateFile;
  await mkdir(stateFile);
  for (const command of ['status', 'down']) {
    const io = captureIo();
    assert.equal(await run(['stack', command, '--workdir', workdir], io), 2, command);
    assert.match(io.err(), /error: state file .*state\.json is invalid \(it is a directory\)/);
  }
  await rm(stateFile, { recursive: true });
});

test('help lists units and exit codes', async () => {
  const up = captureIo();
  assert.equal(await run(['stack', 'up', '--help'], up), 0);
  assert.match(up.out().replace(/\s+/g, ' '),
    /--timeout <duration> time each part may take to become ready: more than 0, in seconds/);
  const down = captureIo();
  assert.equal(await run(['stack', 'down', '--help'], down), 0);
  assert.match(down.out().replace(/\s+/g, ' '),
    /--grace <duration> time between SIGTERM and SIGKILL: in seconds/);
  for (const status of ['0', '1', '2']) assert.match(down.out(), new RegExp(`^  ${status}   `, 'm'));
});
