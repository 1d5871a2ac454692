import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findExecutable } from '../src/common/process.js';
import { backupCli, tempDir } from './fixtures/backup/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = join(root, 'scripts/backup.sh');

/** Parses a unit file into `Section.Key` to values, in order. */
function parseUnit(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      section = header[1];
      continue;
    }
    const entry = /^(\w+)=(.*)$/.exec(line);
    if (entry?.[1] === undefined || entry[2] === undefined) continue;
    const key = `${section}.${entry[1]}`;
    entries.set(key, [...(entries.get(key) ?? []), entry[2]]);
  }
  return entries;
}

test('schedule writes a service and timer', async (t) => {
  const dir = await tempDir(t);
  const result = await backupCli(['schedule', '--class', 'db', '--every', '15m',
    '--output-dir', dir, '--script', script, '--settings-file', '/etc/srekit/db.env']);
  assert.equal(result.code, 0, result.err);
  assert.deepEqual((await readdir(dir)).sort(),
    ['srekit-backup-db.service', 'srekit-backup-db.timer']);

  const service = parseUnit(await readFile(join(dir, 'srekit-backup-db.service'), 'utf8'));
  assert.deepEqual(service.get('Service.Type'), ['oneshot']);
  assert.deepEqual(service.get('Service.ExecStart'),
    [`${script} --env-file /etc/srekit/db.env`]);
  assert.deepEqual(service.get('Service.Environment'), ['SREKIT_BACKUP_CLASS=db']);
  assert.deepEqual(service.get('Service.TimeoutStartSec'), ['900']);

  const timer = parseUnit(await readFile(join(dir, 'srekit-backup-db.timer'), 'utf8'));
  assert.deepEqual(timer.get('Timer.OnCalendar'), ['*-*-* *:00/15:00 UTC']);
  assert.deepEqual(timer.get('Timer.Persistent'), ['true']);
  assert.deepEqual(timer.get('Timer.RandomizedDelaySec'), ['90']);
  assert.deepEqual(timer.get('Timer.Unit'), ['srekit-backup-db.service']);
  assert.deepEqual(timer.get('Install.WantedBy'), ['timers.target']);
});

test('schedule picks a calendar per interval', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['db', '5m', '*-*-* *:00/5:00 UTC'],
    ['app', '30m', '*-*-* *:00/30:00 UTC'],
    ['default', '1h', '*-*-* 00/1:00:00 UTC'],
  ];
  for (const [className, every, calendar] of cases) {
    const dir = await tempDir(t);
    const result = await backupCli(['schedule', '--class', className, '--every', every,
      '--output-dir', dir]);
    assert.equal(result.code, 0, result.err);
    const timer = parseUnit(await readFile(join(dir, `srekit-backup-${className}.timer`), 'utf8'));
    assert.deepEqual(timer.get('Timer.OnCalendar'), [calendar], `${className} every ${every}`);
  }
});

test('systemd-analyze accepts the units', {
  skip: findExecutable(['systemd-analyze']) === undefined ? 'systemd-analyze is not installed'
    : false,
}, async (t) => {
  const dir = await tempDir(t);
  const envFile = join(dir, 'db.env');
  await writeFile(envFile, 'SREKIT_BACKUP_REPO=/srv/backups\n');
  const result = await backupCli(['schedule', '--class', 'db', '--every', '15m',
    '--output-dir', dir, '--script', script, '--settings-file', envFile]);
  assert.equal(result.code, 0, result.err);
  const units = ['srekit-backup-db.service', 'srekit-backup-db.timer']
    .map((name) => join(dir, name));
  const verify = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile('systemd-analyze', ['verify', ...units], { timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : Number(error.code ?? -1);
        resolve({ code, output: `${stdout}${stderr}` });
      });
  });
  assert.equal(verify.code, 0, verify.output);
  // Warnings about the units themselves name their files; others concern the host.
  assert.doesNotMatch(verify.output, /srekit-backup-db\.(service|timer):/);
});

test('schedule rejects bad input and keeps files', async (t) => {
  const dir = await tempDir(t);
  const first = await backupCli(['schedule', '--class', 'db', '--every', '15m',
    '--output-dir', dir]);
  assert.equal(first.code, 0, first.err);
  const original = await readFile(join(dir, 'srekit-backup-db.timer'), 'utf8');
  const cases: Array<[string[], RegExp]> = [
    [['--class', 'db', '--every', '10m'], /srekit-backup-db\.service exists.*\n.*--force/],
    [['--class', 'nightly', '--every', '15m'], /class nightly has no RPO.*\n.*db, app, default/],
    [['--class', 'db', '--every', '1h'], /--every 1h is longer than the RPO of class db, 15m/],
    [['--class', 'default', '--every', '7m'], /--every 7m does not divide an hour or a day/],
    [['--class', 'db', '--every', 'often'], /invalid duration "often"/],
    [['--class', 'db'], /required option '--every <duration>'/],
  ];
  for (const [args, pattern] of cases) {
    const result = await backupCli(['schedule', ...args, '--output-dir', dir]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.err}`);
    assert.match(result.err, pattern);
  }
  assert.equal(await readFile(join(dir, 'srekit-backup-db.timer'), 'utf8'), original);

  const forced = await backupCli(['schedule', '--class', 'db', '--every', '5m',
    '--output-dir', dir, '--force']);
  assert.equal(forced.code, 0, forced.err);
  assert.match(await readFile(join(dir, 'srekit-backup-db.timer'), 'utf8'),
    /OnCalendar=\*-\*-\* \*:00\/5:00 UTC/);
});

test('schedule binary takes a missing settings file', async (t) => {
  // Runs the built binary, because Node.js itself would read an --env-file
  // flag and exit 9 before srekit starts.
  const dir = await tempDir(t);
  const bin = fileURLToPath(new URL('../src/bin.js', import.meta.url));
  const code = await new Promise<number>((resolve) => {
    execFile(process.execPath, [bin, 'backup', 'schedule', '--class', 'db', '--every', '15m',
      '--output-dir', dir, '--settings-file', join(dir, 'not-yet-written.env')],
    (error) => resolve(error === null ? 0 : Number(error.code ?? -1)));
  });
  assert.equal(code, 0);
  const service = await readFile(join(dir, 'srekit-backup-db.service'), 'utf8');
  assert.match(service, /--env-file \S*not-yet-written\.env/);
});
