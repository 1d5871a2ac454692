import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { run } from '../src/cli.js';
import {
  startIncidentServer, type RunningIncidentServer,
} from '../src/incident/server-start.js';
import { alert, alertmanagerActor, message, openStore } from './helpers/incident.js';
import { captureIo } from './helpers/io.js';

interface CliResult {
  code: number;
  out: string;
  err: string;
}

describe('srekit incident on a SQLite database', () => {
  let directory: string;
  let databaseUrl: string;

  const cli = async (args: string[], env: NodeJS.ProcessEnv = { USER: 'ana' }) => {
    const io = captureIo(env);
    const code = await run(['incident', ...args, '--database-url', databaseUrl], io);
    return { code, out: io.out(), err: io.err() } satisfies CliResult;
  };

  /** Returns the JSON lines of `show --json`, which change when anything is written. */
  const state = async (reference = 'INC-1') => (await cli(['show', reference, '--json'])).out;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'srekit-incident-cli-'));
    databaseUrl = `sqlite:${join(directory, 'incidents.sqlite')}`;
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  test('declare prints the new incident', async () => {
    const result = await cli(['declare', '--severity', 'SEV1', '--service', 'orders',
      '--commander', 'ben', 'Orders', 'API', 'returns', '503']);

    assert.equal(result.code, 0);
    assert.match(result.out, /^declared INC-1: Orders API returns 503 \(SEV1, triage, next update due /);
    const lines = (await state()).trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines[0].type, 'incident');
    assert.equal(lines[0].roles.commander, 'ben');
    assert.deepEqual(lines[0].services, ['orders']);
    assert.deepEqual(lines.slice(1).map((line) => [line.type, line.author, line.source]), [
      ['event', 'ana', 'cli'], ['event', 'ana', 'cli'],
    ]);
  });

  test('every change command updates the incident', async () => {
    await cli(['declare', '--severity', 'SEV2', 'Slow checkout']);
    const steps: Array<[string[], RegExp]> = [
      [['role', 'INC-1', 'communications', 'cleo'], /^updated INC-1: Slow checkout \(SEV2, triage/],
      [['severity', '1', 'SEV1'], /\(SEV1, triage/],
      [['note', 'INC-1', 'database', 'CPU', 'at', '100%'], /^updated INC-1/],
      [['update', 'INC-1', '--audience', 'public', '--state', 'identified', 'Rolling', 'back'],
        /\(SEV1, identified, next update due /],
      [['state', 'INC-1', 'monitoring', '--reason', 'rolled back'], /\(SEV1, monitoring/],
      [['action', 'INC-1', '--owner', 'ben', '--due', '2026-12-11', 'Add', 'an', 'index'],
        /^updated INC-1/],
      [['snooze', 'INC-1', '--for', '30m'], /^updated INC-1/],
      [['milestone', 'INC-1', 'started', '2026-12-04T19:52:00Z'], /^updated INC-1/],
      [['action-done', 'INC-1', '1'], /^updated INC-1/],
      [['resolve', 'INC-1', '--reason', 'fixed'], /^resolved INC-1: Slow checkout \(SEV1, resolved\)/],
      [['state', 'INC-1', 'closed'], /\(SEV1, closed\)/],
    ];
    for (const [args, pattern] of steps) {
      const result = await cli(args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.err}`);
      assert.match(result.out, pattern, args.join(' '));
    }

    const record = await cli(['show', 'INC-1']);
    assert.match(record.out, /^INC-1 {2}Slow checkout\n/);
    assert.match(record.out, /communications: +cleo/);
    assert.match(record.out, /action 1: +\[done\] Add an index \(ben, due 2026-12-11\)/);
    assert.match(record.out, /ana \(cli\) {2}note: database CPU at 100%/);
    assert.match(record.out, /public update: Rolling back/);
    assert.match(record.out, /reminders snoozed until /);
    assert.match(record.out, /started: +2026-12-04 19:52:00Z/);
    assert.match(record.out, /state monitoring -> resolved: fixed/);
  });

  test('cancel ends an incident for good', async () => {
    await cli(['declare', '--severity', 'SEV3', 'False alarm']);
    const cancelled = await cli(['cancel', 'INC-1', '--reason', 'test page']);
    const before = await state();
    const resolved = await cli(['resolve', 'INC-1']);

    assert.equal(cancelled.code, 0);
    assert.match(cancelled.out, /^cancelled INC-1: False alarm \(SEV3, cancelled\)/);
    assert.equal(resolved.code, 2);
    assert.match(resolved.err, /cannot move from cancelled to resolved.*\[INCIDENT_INVALID_CHANGE\]/);
    assert.equal(await state(), before);
  });

  test('list prints a table or JSON lines', async () => {
    await cli(['declare', '--severity', 'SEV2', 'First']);
    await cli(['declare', '--severity', 'SEV3', 'Second', '--commander', 'ben']);
    await cli(['resolve', 'INC-1']);

    const table = await cli(['list']);
    const open = await cli(['list', '--open', '--json']);
    const lines = table.out.trim().split('\n');
    assert.equal(table.code, 0);
    assert.match(lines[0] ?? '', /^REF +STATE +SEVERITY +COMMANDER +NEXT UPDATE +TITLE$/);
    assert.match(lines[1] ?? '', /^INC-1 +resolved +SEV2 +- +- +First$/);
    assert.match(lines[2] ?? '', /^INC-2 +triage +SEV3 +ben +- +Second$/);
    const records = open.out.trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(records.map((record) => [record.type, record.reference]), [['incident', 'INC-2']]);
  });

  test('list and show escape control characters from alerts', async () => {
    const store = await openStore(databaseUrl);
    try {
      const annotations = { summary: 'Orders \u001b[31mdown\u001b[0m', runbook_url: 'http://rb' };
      await store.receiveAlerts(message('{}:{alertname="OrdersDown"}', [
        alert('f1', { severity: 'page' }, { annotations }),
      ]), alertmanagerActor);
    } finally {
      await store.close();
    }

    const list = await cli(['list']);
    const show = await cli(['show', 'INC-1']);

    assert.equal(list.code, 0);
    assert.ok(!list.out.includes('\u001b'), list.out);
    assert.match(list.out, /Orders \\u001b\[31mdown\\u001b\[0m$/m);
    assert.equal(show.code, 0);
    assert.ok(!show.out.includes('\u001b'), show.out);
    assert.match(show.out, /^INC-1 {2}Orders \\u001b\[31mdown/);
  });

  test('postmortem writes a draft once unless forced', async () => {
    await cli(['declare', '--severity', 'SEV2', 'Orders API down']);
    const path = join(directory, 'postmortem.md');

    const toStdout = await cli(['postmortem', 'INC-1']);
    const written = await cli(['postmortem', 'INC-1', '--out', path]);
    writeFileSync(path, 'edited by hand\n');
    const again = await cli(['postmortem', 'INC-1', '--out', path]);
    const edited = readFileSync(path, 'utf8');
    const forced = await cli(['postmortem', 'INC-1', '--out', path, '--force', '--json']);

    assert.equal(toStdout.code, 0);
    assert.match(toStdout.out, /^# Postmortem: Orders API down/);
    assert.equal(written.code, 0);
    assert.match(written.err, /wrote the postmortem draft of INC-1 to /);
    assert.equal(again.code, 2);
    assert.match(again.err, /already exists.*\[INVALID_INPUT\]\nhint: pass --force/);
    assert.equal(edited, 'edited by hand\n');
    assert.equal(forced.code, 0);
    assert.deepEqual(JSON.parse(forced.out), { type: 'postmortem', reference: 'INC-1', path });
    assert.match(readFileSync(path, 'utf8'), /^# Postmortem: Orders API down/);
  });

  test('unknown incident exits 1', async () => {
    const result = await cli(['show', 'INC-9']);
    assert.equal(result.code, 1);
    assert.match(result.err, /incident INC-9 does not exist \[INCIDENT_NOT_FOUND\]/);
  });

  const badInput: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['unknown severity', ['severity', 'INC-1', 'SEV9'], { USER: 'ana' }, /Allowed choices are SEV1/],
    ['bad reference', ['note', 'INC-x', 'hello'], { USER: 'ana' }, /invalid incident reference "INC-x"/],
    ['unknown role', ['role', 'INC-1', 'scribe', 'ana'], { USER: 'ana' }, /Allowed choices are commander/],
    ['missing author', ['note', 'INC-1', 'hello'], {}, /missing author .*\nhint: pass --author NAME/],
    ['empty note', ['note', 'INC-1', ' '], { USER: 'ana' }, /invalid note " ": it must not be empty/],
    ['bad due date', ['action', 'INC-1', '--owner', 'ben', '--due', 'soon', 'Fix'], { USER: 'ana' },
      /invalid action item due date "soon"/],
    ['snooze without length', ['snooze', 'INC-1'], { USER: 'ana' }, /missing snooze length/],
    ['same state', ['state', 'INC-1', 'triage'], { USER: 'ana' }, /it is already triage/],
    ['unknown action item', ['action-done', 'INC-1', '3'], { USER: 'ana' },
      /INC-1: it has no action item 3/],
    ['bad list state', ['list', '--state', 'done'], { USER: 'ana' }, /invalid state "done"/],
    ['due date that does not exist',
      ['action', 'INC-1', '--owner', 'ben', '--due', '2026-02-30', 'Fix'], { USER: 'ana' },
      /due date "2026-02-30": the date does not exist in the calendar \[INVALID_INPUT\]/],
    ['milestone on April 31', ['milestone', 'INC-1', 'started', '2026-04-31T10:00:00Z'],
      { USER: 'ana' }, /"2026-04-31T10:00:00Z": the date does not exist in the calendar/],
    ['milestone at hour 24', ['milestone', 'INC-1', 'started', '2026-12-04T24:00:00Z'],
      { USER: 'ana' }, /"2026-12-04T24:00:00Z": it must be an ISO 8601 time/],
    ['milestone in the future', ['milestone', 'INC-1', 'started', '2099-01-01T00:00:00Z'],
      { USER: 'ana' }, /milestone time "2099-01-01T00:00:00.000Z": it is later than now/],
    ['snooze beyond the date range', ['snooze', 'INC-1', '--for', '99999999999h'],
      { USER: 'ana' }, /invalid snooze length .*year 275760\) \[INVALID_INPUT\]/],
  ];
  for (const [name, args, env, pattern] of badInput) {
    test(`${name} exits 2 and changes nothing`, async () => {
      await cli(['declare', '--severity', 'SEV2', 'Orders API down']);
      const before = await state();
      const result = await cli(args, env);

      assert.equal(result.code, 2);
      assert.match(result.err, pattern);
      assert.equal(result.out, '');
      assert.equal(await state(), before);
    });
  }

  test('help lists examples and exit codes', async () => {
    const result = await cli(['update', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.out, /Examples:\n {2}\$ srekit incident update INC-7/);
    assert.match(result.out, /Exit status:\n {2}0 {3}success/);
    assert.ok(result.out.split('\n').every((line) => line.length <= 100),
      'a help line is wider than 100 columns');
  });

  test('missing database directory is created', async () => {
    databaseUrl = `sqlite:${join(directory, 'nested', 'dir', 'incidents.sqlite')}`;
    const result = await cli(['list']);
    assert.equal(result.code, 0);
    assert.ok(existsSync(join(directory, 'nested', 'dir', 'incidents.sqlite')));
  });
});

describe('srekit incident against a server', () => {
  const directory = mkdtempSync(join(tmpdir(), 'srekit-incident-cli-server-'));
  const token = 'cli-test-token';
  let server: RunningIncidentServer | undefined;

  before(async () => {
    server = await startIncidentServer({
      port: 0, token, databaseUrl: `sqlite:${join(directory, 'incidents.sqlite')}`,
      logger: pino({ level: 'silent' }),
    });
  });
  after(async () => {
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const serverUrl = (): string => {
    assert.ok(server !== undefined, 'the incident server did not start');
    return server.url;
  };

  const cli = async (args: string[], env: NodeJS.ProcessEnv) => {
    const io = captureIo({ USER: 'ana', ...env });
    const code = await run(['incident', ...args], io);
    return { code, out: io.out(), err: io.err() } satisfies CliResult;
  };

  test('--server sends commands with the token', async () => {
    const url = serverUrl();
    const env = { SREKIT_INCIDENT_TOKEN: token };
    const declared = await cli(['declare', '--server', url, '--severity', 'SEV2', 'Remote'], env);
    const listed = await cli(['list', '--json'], { ...env, SREKIT_INCIDENT_URL: url });

    assert.equal(declared.code, 0, declared.err);
    assert.match(declared.out, /^declared INC-1: Remote \(SEV2, triage/);
    assert.equal(JSON.parse(listed.out).reference, 'INC-1');
  });

  test('token file is read for --server', async () => {
    const url = serverUrl();
    const tokenFile = join(directory, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    const result = await cli(['list', '--server', url, '--token-file', tokenFile], {});
    assert.equal(result.code, 0, result.err);
  });

  test('action-done marks an item done through the server', async () => {
    const env = { SREKIT_INCIDENT_TOKEN: token, SREKIT_INCIDENT_URL: serverUrl() };
    const declared = await cli(['declare', '--severity', 'SEV3', '--json', 'Action items'], env);
    const reference = String(JSON.parse(declared.out).reference);
    await cli(['action', reference, '--owner', 'ben', '--due', '2026-12-11', 'Add an index'], env);

    const done = await cli(['action-done', reference, '1', '--json'], env);
    const again = await cli(['action-done', reference, '1'], env);
    const unknown = await cli(['action-done', reference, '2'], env);

    assert.equal(done.code, 0, done.err);
    assert.deepEqual(JSON.parse(done.out).actionItems,
      [{ item: 1, title: 'Add an index', owner: 'ben', due: '2026-12-11', done: true }]);
    assert.equal(again.code, 2);
    assert.match(again.err, /action item 1 is already done \[INCIDENT_INVALID_CHANGE\]/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /has no action item 2 \[INCIDENT_INVALID_CHANGE\]/);
  });

  test('missing or wrong token exits 2', async () => {
    const url = serverUrl();
    const missing = await cli(['declare', '--server', url, '--severity', 'SEV2', 'x'], {});
    const wrong = await cli(['declare', '--server', url, '--severity', 'SEV2', 'x'],
      { SREKIT_INCIDENT_TOKEN: 'wrong' });
    const listed = await cli(['list', '--server', url, '--json'], { SREKIT_INCIDENT_TOKEN: token });

    assert.equal(missing.code, 2);
    assert.match(missing.err, /missing API token .*\[INCIDENT_UNAUTHORIZED\]/);
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /INCIDENT_UNAUTHORIZED/);
    assert.ok(!listed.out.includes('"title":"x"'));
  });
});
