import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { run } from '../src/cli.js';
import { SrekitError } from '../src/common/errors.js';
import { ExitCode } from '../src/common/exit-codes.js';
import { parseDatabaseUrl, type DatabaseLocation } from '../src/service/database-url.js';
import { captureIo } from './helpers/io.js';
import { requestJson } from './helpers/service.js';

const binPath = fileURLToPath(new URL('../src/bin.js', import.meta.url));

describe('service start on the command line', () => {
  let directory: string;

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'srekit-cli-'));
  });

  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  test('help shows examples and exit status', async () => {
    for (const argv of [['service', '--help'], ['service', 'start', '--help']]) {
      const io = captureIo();
      const code = await run(argv, io);
      assert.equal(code, ExitCode.ok);
      assert.match(io.out(), /Examples:\n {2}\$ srekit service start/);
      assert.match(io.out(), /Exit status:\n {2}0 /);
    }
  });

  test('start help names the default database', async () => {
    const io = captureIo();
    await run(['service', 'start', '--help'], io);
    assert.match(io.out().replace(/\s+/g, ' '), /default: "sqlite:\.srekit\/service\/orders\.sqlite"/);
  });

  test('unknown flag exits 2 with usage', async () => {
    const io = captureIo();
    const code = await run(['service', 'start', '--no-such-flag'], io);
    assert.equal(code, ExitCode.usage);
    assert.match(io.err(), /unknown option '--no-such-flag'/);
    assert.match(io.err(), /Usage: srekit service start/);
  });

  const badArguments: { argv: string[]; message: RegExp }[] = [
    { argv: ['--database-url', 'mysql://db/orders'], message: /'mysql:\/\/db\/orders' is invalid.*scheme must be sqlite: or postgres:\/\// },
    { argv: ['--database-url', 'sqlite:'], message: /the SQLite file path is missing/ },
    { argv: ['--port', '70000'], message: /invalid port "70000": expected an integer from 0 to 65535/ },
    { argv: ['--port', 'http'], message: /invalid port "http"/ },
    { argv: ['--admin-port', '9000'], message: /--admin-port needs --faults/ },
    { argv: ['--port', '9000', '--faults', '--admin-port', '9000'], message: /--admin-port must differ from --port/ },
  ];
  for (const { argv, message } of badArguments) {
    test(`${argv.join(' ')} exits 2`, async () => {
      const io = captureIo();
      const code = await run(['service', 'start', ...argv], io);
      assert.equal(code, ExitCode.usage);
      assert.match(io.err(), message);
    });
  }

  test('unwritable database path exits 1 naming it', async () => {
    const blocker = join(directory, 'not-a-directory');
    writeFileSync(blocker, 'a file where a directory is needed\n');
    const path = join(blocker, 'orders.sqlite');
    const io = captureIo();
    const code = await run(['service', 'start', '--port', '0', '--database-url', `sqlite:${path}`], io);
    assert.equal(code, ExitCode.failure);
    assert.match(io.err(), new RegExp(`error: could not open the SQLite database ${path}: `));
    assert.match(io.err(), /hint: choose a writable location with --database-url sqlite:PATH/);
  });

  test('port in use exits 1 naming the port', async () => {
    const blocker = await listenOnFreePort();
    const port = portOf(blocker);
    try {
      const io = captureIo();
      const databaseDirectory = join(directory, 'port', 'data');
      const databaseUrl = `sqlite:${join(databaseDirectory, 'port.sqlite')}`;
      const code = await run(['service', 'start', '--port', String(port), '--database-url', databaseUrl], io);
      assert.equal(code, ExitCode.failure);
      assert.match(io.err(), new RegExp(`error: could not listen on 127\\.0\\.0\\.1:${port}: port ${port} is already in use`));
      assert.match(io.err(), /hint: .*--port/);
      assert.equal(existsSync(databaseDirectory), false, 'database directory left behind');
      assert.equal(existsSync(join(directory, 'port')), false, 'parent directory left behind');
    } finally {
      blocker.close();
    }
  });

  test('port in use keeps an existing database', async () => {
    const databasePath = join(directory, 'existing.sqlite');
    writeFileSync(databasePath, '');
    const blocker = await listenOnFreePort();
    try {
      const code = await run(['service', 'start', '--port', String(portOf(blocker)),
        '--database-url', `sqlite:${databasePath}`], captureIo());
      assert.equal(code, ExitCode.failure);
      assert.equal(existsSync(databasePath), true);
    } finally {
      blocker.close();
    }
  });

  test('admin port in use exits 1 naming it', async () => {
    const blocker = await listenOnFreePort();
    const port = portOf(blocker);
    try {
      const io = captureIo();
      const databaseUrl = `sqlite:${join(directory, 'admin-port.sqlite')}`;
      const code = await run([
        'service', 'start', '--port', '0', '--database-url', databaseUrl,
        '--faults', '--admin-port', String(port),
      ], io);
      assert.equal(code, ExitCode.failure);
      assert.match(io.err(), new RegExp(`port ${port} is already in use`));
      assert.match(io.err(), /hint: .*--admin-port/);
    } finally {
      blocker.close();
    }
  });

  test('SIGTERM drains a slow request and exits 0', async () => {
    const child = spawn(process.execPath, [
      binPath, 'service', 'start', '--port', '0', '--faults', '--admin-port', '0',
      '--database-url', `sqlite:${join(directory, 'drain.sqlite')}`,
    ], { cwd: directory });
    const logs = collectLogs(child);
    try {
      const started = await logs.waitFor('service started');
      const url = String(started.url);
      const adminUrl = String(started.adminUrl);
      await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { latencyMs: 1000 } });

      const slow = requestJson(`${url}/orders`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGTERM');
      await logs.waitFor('service stopping');

      const refused = await fetch(`${url}/healthz`).then(() => 'answered', () => 'refused');
      assert.equal(refused, 'refused');
      const response = await slow;
      assert.equal(response.status, 200);
      const [exitCode] = await once(child, 'exit');
      assert.equal(exitCode, 0);
      assert.ok(logs.messages().includes('service stopped'), `logs: ${logs.messages().join(', ')}`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP port');
  return address.port;
}

/** Collects the JSON log lines a child writes to stderr. */
function collectLogs(child: ChildProcessWithoutNullStreams) {
  const records: Record<string, unknown>[] = [];
  const waiters: { message: string; resolve: (record: Record<string, unknown>) => void }[] = [];
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const record = JSON.parse(line) as Record<string, unknown>;
      records.push(record);
      for (const waiter of waiters.filter((candidate) => candidate.message === record.msg)) {
        waiter.resolve(record);
      }
    }
  });

  return {
    messages: () => records.map((record) => String(record.msg)),
    waitFor: (message: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = records.find((record) => record.msg === message);
      if (found !== undefined) {
        resolve(found);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`no "${message}" log within 10 s`)), 10_000);
      waiters.push({ message, resolve: (record) => {
        clearTimeout(timer);
        resolve(record);
      } });
      child.once('exit', (code) => reject(new Error(`service exited with ${code} before "${message}"`)));
    }),
  };
}

test('service rejects a host that is not an address', async () => {
  for (const host of ['999.1.1.1', 'example.invalid', '']) {
    const io = captureIo();
    const code = await run(['service', 'start', '--host', host, '--port', '0'], io);
    assert.equal(code, ExitCode.usage, `--host "${host}"`);
    assert.match(io.err(), new RegExp(`invalid address "${host.replace(/\./g, '\\.')}"`));
  }
});

const databaseUrlCases: { value: string; expected: DatabaseLocation }[] = [
  { value: 'SQLITE:/tmp/x.sqlite', expected: { kind: 'sqlite', path: '/tmp/x.sqlite' } },
  { value: 'Sqlite:///tmp/x.sqlite', expected: { kind: 'sqlite', path: '/tmp/x.sqlite' } },
  { value: 'POSTGRES://u:p@127.0.0.1/db', expected: { kind: 'postgres', url: 'postgres://u:p@127.0.0.1/db' } },
  { value: 'PostgreSQL://127.0.0.1/db', expected: { kind: 'postgres', url: 'postgresql://127.0.0.1/db' } },
];
for (const { value, expected } of databaseUrlCases) {
  test(`database URL scheme ${value.split(':')[0]} is accepted`, () => {
    assert.deepEqual(parseDatabaseUrl(value), expected);
  });
}

test('database URL error shows value as given', () => {
  const error = catchError(() => parseDatabaseUrl('MySQL://Orders:Secret@Db/Orders'));
  assert.ok(error instanceof SrekitError, `expected SrekitError, got ${String(error)}`);
  assert.match(error.message, /^invalid database URL "MySQL:\/\/Orders:\*\*\*@Db\/Orders": /);
  assert.doesNotMatch(error.message, /Secret/);
});

test('empty SQLite path error shows value as given', () => {
  const error = catchError(() => parseDatabaseUrl('SQLITE:'));
  assert.ok(error instanceof SrekitError, `expected SrekitError, got ${String(error)}`);
  assert.match(error.message, /^invalid database URL "SQLITE:": the SQLite file path is missing/);
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
