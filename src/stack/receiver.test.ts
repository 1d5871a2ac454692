import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { run } from '../cli.js';
import { createLogger } from '../common/logger.js';
import { captureIo } from '../../test/helpers/io.js';
import { startReceiver, type ReceivedNotification, type RunningReceiver } from './receiver.js';

const silent = new Writable({ write: (_chunk, _encoding, done) => done() });

async function withReceiver(
  run: (receiver: RunningReceiver, file: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-receiver-'));
  const runbooks = join(dir, 'runbooks');
  await mkdir(runbooks);
  await writeFile(join(runbooks, 'instance-down.md'), '# InstanceDown\n');
  await writeFile(join(dir, 'secret.md'), 'not a runbook\n');
  const file = join(dir, 'data', 'notifications.jsonl');
  const receiver = await startReceiver({
    host: '127.0.0.1', port: 0, file, runbooksDir: runbooks, logger: createLogger('test', silent),
  });
  try {
    await run(receiver, file);
  } finally {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function post(url: string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

test('receiver records a page and lists it', async () => {
  await withReceiver(async (receiver, file) => {
    const payload = { version: '4', status: 'firing', receiver: 'page', alerts: [{ status: 'firing' }] };
    const before = Date.now();
    const response = await post(`${receiver.url}/page`, JSON.stringify(payload));
    assert.equal(response.status, 200);
    assert.equal((await post(`${receiver.url}/ticket`, '{"status":"resolved"}')).status, 200);

    const listed = (await (await fetch(`${receiver.url}/notifications`)).json()) as ReceivedNotification[];
    assert.equal(listed.length, 2);
    assert.equal(listed[0]?.receiver, 'page');
    assert.deepEqual(listed[0]?.payload, payload);
    assert.ok(Date.parse(listed[0]?.receivedAt ?? '') >= before - 1000, 'receivedAt is the receipt time');
    assert.equal(listed[1]?.receiver, 'ticket');

    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[0] ?? ''), listed[0]);
  });
});

test('receiver records every webhook path', async () => {
  await withReceiver(async (receiver) => {
    const paths = ['page', 'warn', 'ticket', 'deadmansswitch'];
    for (const path of paths) {
      const response = await post(`${receiver.url}/${path}`, JSON.stringify({ receiver: path }));
      assert.equal(response.status, 200, `POST /${path}`);
    }
    const listed = (await (await fetch(`${receiver.url}/notifications`)).json()) as ReceivedNotification[];
    assert.deepEqual(listed.map((notification) => notification.receiver), paths);
    assert.deepEqual(listed.map((notification) => notification.payload.receiver), paths);
  });
});

test('receiver lists nothing before the first delivery', async () => {
  await withReceiver(async (receiver) => {
    const response = await fetch(`${receiver.url}/notifications`);
    assert.deepEqual(await response.json(), []);
  });
});

test('receiver rejects bad requests', async () => {
  await withReceiver(async (receiver, file) => {
    const cases: Array<[path: string, init: RequestInit, status: number]> = [
      ['/page', { method: 'POST', body: 'not json' }, 400],
      ['/warn', { method: 'POST', body: '[1, 2]' }, 400],
      ['/page', { method: 'GET' }, 405],
      ['/notifications', { method: 'POST', body: '{}' }, 405],
      ['/other', { method: 'POST', body: '{}' }, 404],
      // The incident webhook goes to the incident server, never to the receiver.
      ['/incident', { method: 'POST', body: '{}' }, 404],
      ['/page', { method: 'POST', body: `{"x":"${'a'.repeat(1024 * 1024)}"}` }, 413],
    ];
    for (const [path, init, status] of cases) {
      const response = await fetch(`${receiver.url}${path}`, init);
      assert.equal(response.status, status, `${init.method ?? 'GET'} ${path}`);
      const body = (await response.json()) as { error?: string };
      assert.ok(body.error, `${init.method ?? 'GET'} ${path} explains the error`);
    }
    await assert.rejects(readFile(file), { code: 'ENOENT' });
  });
});

test('receiver serves runbooks and nothing else', async () => {
  await withReceiver(async (receiver) => {
    const runbook = await fetch(`${receiver.url}/runbooks/instance-down.md`);
    assert.equal(runbook.status, 200);
    assert.match(runbook.headers.get('content-type') ?? '', /text\/markdown/);
    assert.equal(await runbook.text(), '# InstanceDown\n');
    for (const path of ['/runbooks/missing.md', '/runbooks/..%2Fsecret.md', '/runbooks/../secret.md']) {
      const response = await fetch(`${receiver.url}${path}`);
      assert.equal(response.status, 404, path);
    }
  });
});

test('receiver answers its readiness check', async () => {
  await withReceiver(async (receiver) => {
    assert.equal((await fetch(`${receiver.url}/-/ready`)).status, 200);
  });
});

test('receiver reports a busy IPv6 port', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-receiver-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'notifications.jsonl');
  const first = await startReceiver({ host: '::1', port: 0, file, logger: createLogger('test', silent) });
  t.after(() => first.close());
  const port = Number(new URL(first.url).port);
  assert.equal(first.url, `http://[::1]:${port}`);

  const io = captureIo();
  const code = await run(['stack', 'receiver', '--host', '::1', '--port', String(port), '--file', file], io);
  assert.equal(code, 1);
  assert.match(io.err(), new RegExp('error: could not start the alert receiver: '
    + `port \\[::1\\]:${port} is already in use \\[PORT_IN_USE\\]`));
});
