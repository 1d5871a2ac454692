import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../src/cli.js';
import { captureIo } from './helpers/io.js';

const binary = resolve('dist/src/bin.js');
const token = 'serve-test-token-81d0';

/** A `srekit incident serve` child process and its parsed log records. */
interface ServeProcess {
  child: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

async function startServe(dir: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [
    binary, 'incident', 'serve', '--port', '0',
    '--database-url', `sqlite:${join(dir, 'incidents.sqlite')}`,
    '--status-dir', join(dir, 'status'), '--component', 'checkout',
  ], {
    cwd: dir,
    env: { ...process.env, SREKIT_INCIDENT_TOKEN: token },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const logs: Record<string, unknown>[] = [];
  let pending = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });

  const deadline = Date.now() + 20_000;
  for (;;) {
    const started = logs.find((record) => record.msg === 'incident server started');
    if (typeof started?.url === 'string') return { child, url: started.url, logs, exited };
    assert.equal(child.exitCode, null, `serve exited early: ${JSON.stringify(logs)}${pending}`);
    assert.ok(Date.now() < deadline, 'serve did not log its URL within 20 s');
    await sleep(50);
  }
}

describe('srekit incident serve', () => {
  let dir = '';
  let serve: ServeProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'srekit-incident-serve-'));
    serve = await startServe(dir);
  });

  after(async () => {
    if (serve.child.exitCode === null) {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('CLI in --server mode declares and lists', async () => {
    const env = { SREKIT_INCIDENT_TOKEN: token, USER: 'ana' };
    const declare = captureIo(env);
    const declared = await run(['incident', 'declare', '--server', serve.url, '--severity', 'SEV2',
      '--service', 'orders', '--json', 'Checkout', 'fails'], declare);
    assert.equal(declared, 0, declare.err());
    const incident = JSON.parse(declare.out()) as { type: string; reference: string };
    assert.equal(incident.type, 'incident');
    assert.match(incident.reference, /^INC-\d+$/);

    const list = captureIo(env);
    assert.equal(await run(['incident', 'list', '--server', serve.url, '--json'], list), 0);
    const references = list.out().trim().split('\n')
      .map((line) => (JSON.parse(line) as { reference: string }).reference);
    assert.deepEqual(references, [incident.reference]);

    const show = captureIo(env);
    assert.equal(await run(['incident', 'show', '--server', serve.url, '--json',
      incident.reference], show), 0);
    const events = show.out().trim().split('\n').map((line) => JSON.parse(line) as {
      type: string; author?: string; source?: string;
    }).filter((record) => record.type === 'event');
    assert.equal(events[0]?.author, 'ana');
    assert.equal(events[0]?.source, 'cli');
  });

  test('CLI with a wrong token exits 2', async () => {
    const io = captureIo({ SREKIT_INCIDENT_TOKEN: 'wrong' });
    const code = await run(['incident', 'list', '--server', serve.url], io);
    assert.equal(code, 2);
    assert.match(io.err(), /invalid bearer token/);
    assert.match(io.err(), /INCIDENT_UNAUTHORIZED/);
  });

  test('notifiers export the status page with the configured components', async () => {
    const page = join(dir, 'status', 'index.html');
    const deadline = Date.now() + 10_000;
    while (!existsSync(page)) {
      assert.ok(Date.now() < deadline, 'status page was not exported within 10 s');
      await sleep(100);
    }
    const response = await fetch(`${serve.url}/status.json`);
    const view = await response.json() as { components: { name: string; state: string }[] };
    assert.deepEqual(view.components.find((component) => component.name === 'checkout'),
      { name: 'checkout', state: 'operational', incidents: [] });
  });

  test('SIGTERM stops the server cleanly', async () => {
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);
    const messages = serve.logs.map((record) => record.msg);
    assert.ok(messages.includes('signal received'));
    assert.ok(messages.includes('incident server stopped'));
  });
});

describe('srekit incident serve bad input', () => {
  let dir = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'srekit-incident-serve-input-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('serve without a token exits 2', async () => {
    const io = captureIo({});
    const code = await run(['incident', 'serve', '--port', '0',
      '--database-url', `sqlite:${join(dir, 'none.sqlite')}`], io);
    assert.equal(code, 2);
    assert.match(io.err(), /missing API token/);
    assert.match(io.err(), /SREKIT_INCIDENT_TOKEN or pass --token-file/);
    assert.equal(existsSync(join(dir, 'none.sqlite')), false);
  });

  test('serve rejects a token flag', async () => {
    const io = captureIo({});
    const code = await run(['incident', 'serve', '--token', 'secret'], io);
    assert.equal(code, 2);
    assert.match(io.err(), /unknown option '--token'/);
  });

  test('serve with an empty token file exits 2', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, '\n');
    const io = captureIo({});
    const code = await run(['incident', 'serve', '--token-file', file], io);
    assert.equal(code, 2);
    assert.match(io.err(), /token file .* is empty/);
  });

  test('serve with a non-HTTP Slack URL exits 2', async () => {
    const io = captureIo({
      SREKIT_INCIDENT_TOKEN: token, SREKIT_SLACK_WEBHOOK_URL: 'ftp://hooks.example/T000',
    });
    const code = await run(['incident', 'serve', '--port', '0',
      '--database-url', `sqlite:${join(dir, 'slack.sqlite')}`], io);
    assert.equal(code, 2);
    assert.match(io.err(), /INVALID_INPUT/);
  });

  test('serve refuses the Slack webhook URL as a flag', async () => {
    const io = captureIo({ SREKIT_INCIDENT_TOKEN: token });
    const code = await run(['incident', 'serve', '--port', '0',
      '--slack-webhook-url', 'http://127.0.0.1:9/hook'], io);
    assert.equal(code, 2);
    assert.match(io.err(), /unknown option '--slack-webhook-url'/);
  });

  test('serve with an empty Slack webhook file exits 2', async () => {
    const file = join(dir, 'slack-webhook');
    writeFileSync(file, '\n');
    const io = captureIo({ SREKIT_INCIDENT_TOKEN: token });
    const code = await run(['incident', 'serve', '--port', '0',
      '--database-url', `sqlite:${join(dir, 'slack-file.sqlite')}`,
      '--slack-webhook-file', file], io);
    assert.equal(code, 2);
    assert.match(io.err(), /Slack webhook file .* is empty \[INVALID_INPUT\]/);
  });

  test('serve on a busy port exits 1', async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const address = busy.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const io = captureIo({ SREKIT_INCIDENT_TOKEN: token });
      const code = await run(['incident', 'serve', '--port', String(port),
        '--database-url', `sqlite:${join(dir, 'busy.sqlite')}`], io);
      assert.equal(code, 1);
      assert.match(io.err(), new RegExp(`port ${port} is already in use \\[PORT_IN_USE\\]`));
    } finally {
      await new Promise((done) => busy.close(done));
    }
  });

  test('serve rejects an invalid port', async () => {
    const io = captureIo({ SREKIT_INCIDENT_TOKEN: token });
    const code = await run(['incident', 'serve', '--port', '70000'], io);
    assert.equal(code, 2);
    assert.match(io.err(), /invalid port "70000"/);
  });
});
