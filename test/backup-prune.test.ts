import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Manifest } from '../src/backup/index.js';
import { applyRetention, type RetentionPolicy } from '../src/backup/prune-policy.js';
import { pruneBackups } from '../src/backup/prune.js';
import { DirectoryStore } from '../src/backup/directory-store.js';
import { Repository } from '../src/backup/repository.js';
import { SrekitError } from '../src/common/errors.js';
import { backupCli, newRepository, tempDir, type CliResult } from './fixtures/backup/helpers.js';

const none: RetentionPolicy = {
  last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, withinSeconds: 0,
};

/** Builds a manifest whose time, id and class are real and whose other fields are placeholders. */
function manifestAt(time: string, index: number, className = 'db'): Manifest {
  const stamp = time.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const id = `${stamp}-${String(index).padStart(8, '0')}`;
  return {
    formatVersion: 1, id, time, class: className,
    source: { kind: 'directory', path: '/data', host: 'host' }, tags: {}, complete: true,
    skipped: [], compression: 'none', encryption: 'none', keySource: 'none',
    artifact: { key: `data/${id}.srkb`, size: 0, sha256: '0'.repeat(64) },
    archive: { size: 0, sha256: '0'.repeat(64) },
    totals: { files: 0, directories: 0, symlinks: 0, fileBytes: 0 },
  };
}

function kept(decisions: ReturnType<typeof applyRetention>): string[] {
  return decisions.filter((decision) => decision.reasons.length > 0)
    .map((decision) => decision.manifest.time);
}

// Two backups a day at 06:00 and 18:00 from Thursday 2026-11-26 to Friday 2026-12-04.
const twiceDaily = Array.from({ length: 18 }, (_, index) => {
  const day = 26 + Math.floor(index / 2);
  const date = day <= 30 ? `2026-11-${day}` : `2026-12-0${day - 30}`;
  return manifestAt(`${date}T${index % 2 === 0 ? '06' : '18'}:00:00.000Z`, index);
});

test('retention rules keep the newest of each bucket', () => {
  const cases: Array<{ name: string; policy: Partial<RetentionPolicy>; expected: string[] }> = [
    { name: 'last 3', policy: { last: 3 }, expected: [
      '2026-12-04T18:00:00.000Z', '2026-12-04T06:00:00.000Z', '2026-12-03T18:00:00.000Z'] },
    { name: 'daily 3', policy: { daily: 3 }, expected: [
      '2026-12-04T18:00:00.000Z', '2026-12-03T18:00:00.000Z', '2026-12-02T18:00:00.000Z'] },
    { name: 'hourly 2', policy: { hourly: 2 }, expected: [
      '2026-12-04T18:00:00.000Z', '2026-12-04T06:00:00.000Z'] },
    // ISO weeks start on Monday: 2026-11-30 is a Monday, so Sunday 11-29 ends the week before.
    { name: 'weekly 2', policy: { weekly: 2 }, expected: [
      '2026-12-04T18:00:00.000Z', '2026-11-29T18:00:00.000Z'] },
    { name: 'monthly 2', policy: { monthly: 2 }, expected: [
      '2026-12-04T18:00:00.000Z', '2026-11-30T18:00:00.000Z'] },
    { name: 'within 1d', policy: { withinSeconds: 86_400 }, expected: [
      '2026-12-04T18:00:00.000Z', '2026-12-04T06:00:00.000Z', '2026-12-03T18:00:00.000Z'] },
  ];
  for (const { name, policy, expected } of cases) {
    const decisions = applyRetention(twiceDaily, { ...none, ...policy });
    assert.deepEqual(kept(decisions), expected, name);
  }
});

test('retention lists every rule that keeps a backup', () => {
  const decisions = applyRetention(twiceDaily, { ...none, last: 1, daily: 2, monthly: 1 });
  assert.deepEqual(decisions[0]?.reasons, ['last', 'daily', 'monthly']);
  assert.deepEqual(decisions[1]?.reasons, []);
  assert.deepEqual(decisions[2]?.reasons, ['daily']);
});

test('retention keeps the protected backup', () => {
  const oldest = twiceDaily[0]?.id;
  const decisions = applyRetention(twiceDaily, { ...none, last: 1 }, oldest);
  assert.deepEqual(kept(decisions), ['2026-12-04T18:00:00.000Z', '2026-11-26T06:00:00.000Z']);
  assert.deepEqual(decisions.at(-1)?.reasons, ['newest verified']);
});

async function sourceDir(dir: string): Promise<string> {
  const source = join(dir, 'source');
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'file.txt'), 'content');
  return source;
}

/** Creates `count` backups of `className` and returns their ids, oldest first. */
async function createBackups(repo: string, source: string, count: number, className = 'db'):
  Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const created = await backupCli(['create', '--source', source, '--repo', repo,
      '--class', className, '--json']);
    assert.equal(created.code, 0, created.err);
    ids.push((JSON.parse(created.out.trim().split('\n').at(-1) ?? '{}') as { id: string }).id);
  }
  return ids;
}

/** Moves a backup's manifest time `hours` into the past, as if it were made then. */
async function ageBackup(repo: string, id: string, hours: number): Promise<void> {
  const path = join(repo, 'snapshots', `${id}.json`);
  const manifest = JSON.parse(await readFile(path, 'utf8')) as { time: string };
  manifest.time = new Date(Date.parse(manifest.time) - hours * 3_600_000).toISOString();
  await writeFile(path, JSON.stringify(manifest));
}

async function repositoryFiles(repo: string): Promise<string[]> {
  const files: string[] = [];
  for (const dir of ['data', 'snapshots', 'locks', 'verified']) {
    const names = await readdir(join(repo, dir)).catch(() => [] as string[]);
    files.push(...names.map((name) => `${dir}/${name}`));
  }
  return files.sort();
}

function assertExit(result: CliResult, code: number): void {
  assert.equal(result.code, code,
    `exit ${result.code}\nstdout: ${result.out}\nstderr: ${result.err}`);
}

test('prune dry run changes nothing', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const ids = await createBackups(repo, await sourceDir(dir), 3);
  for (const [index, id] of ids.entries()) await ageBackup(repo, id, (ids.length - index) * 25);
  const before = await repositoryFiles(repo);

  const result = await backupCli(['prune', '--repo', repo, '--keep-daily', '1', '--dry-run']);
  assertExit(result, 0);
  assert.match(result.out, new RegExp(`keep +${ids[2]}  db  \\(daily\\)`));
  assert.match(result.out, new RegExp(`would remove +${ids[1]}  db\\n`));
  assert.match(result.out, new RegExp(`would remove +${ids[0]}  db\\n`));
  assert.match(result.out, /dry run: would remove 2 backups and keep 1; nothing was changed/);
  assert.match(result.err, /class db has no verified backup/);
  assert.deepEqual(await repositoryFiles(repo), before);
});

test('prune keeps the newest verified backup', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const ids = await createBackups(repo, await sourceDir(dir), 4);
  const [oldest, second, third, newest] = ids;
  assertExit(await backupCli(['verify', '--repo', repo, '--id', String(second)]), 0);
  assert.deepEqual(await readdir(join(repo, 'verified')), [`${second}.json`]);

  const result = await backupCli(['prune', '--repo', repo, '--keep-last', '1', '--json']);
  assertExit(result, 0);
  const lines = result.out.trim().split('\n').map((line) => JSON.parse(line) as {
    type: string; id?: string; reasons?: string[]; kept?: number; removed?: number;
  });
  assert.deepEqual(lines.map((line) => [line.type, line.id, line.reasons]), [
    ['keep', newest, ['last']],
    ['remove', third, []],
    ['keep', second, ['newest verified']],
    ['remove', oldest, []],
    ['prune', undefined, undefined],
  ]);
  assert.equal(lines.at(-1)?.removed, 2);
  assert.equal(lines.at(-1)?.kept, 2);
  assert.deepEqual(await repositoryFiles(repo), [
    `data/${second}.srkb`, `data/${newest}.srkb`,
    `snapshots/${second}.json`, `snapshots/${newest}.json`,
    `verified/${second}.json`,
  ].sort());
  const list = await backupCli(['list', '--repo', repo, '--json']);
  assert.equal(list.out.trim().split('\n').length, 2);
});

test('prune applies rules to each class', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceDir(dir);
  const db = await createBackups(repo, source, 2, 'db');
  const files = await createBackups(repo, source, 2, 'files');

  const onlyDb = await backupCli(['prune', '--repo', repo, '--keep-last', '1', '--class', 'db']);
  assertExit(onlyDb, 0);
  const remaining = await backupCli(['list', '--repo', repo, '--json']);
  const ids = remaining.out.trim().split('\n')
    .map((line) => (JSON.parse(line) as { id: string }).id);
  assert.deepEqual(ids, [db[1], files[0], files[1]]);

  const all = await backupCli(['prune', '--repo', repo, '--keep-last', '1']);
  assertExit(all, 0);
  assert.match(all.out, /removed 1 backups, kept 2/);
  assert.deepEqual((await repositoryFiles(repo)).filter((file) => file.startsWith('snapshots/')),
    [`snapshots/${db[1]}.json`, `snapshots/${files[1]}.json`].sort());
});

test('prune rejects bad usage', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  await createBackups(repo, await sourceDir(dir), 2);
  const before = await repositoryFiles(repo);
  const cases: Array<[string[], RegExp]> = [
    [[], /no retention rule was given/],
    [['--keep-last', '0'], /no retention rule was given/],
    [['--keep-last', 'two'], /--keep-last two is not a whole number/],
    [['--keep-daily', '-1'], /--keep-daily -1 is not a whole number/],
    [['--keep-within', '1y'], /--keep-within 1y is not a duration/],
    [['--keep-within', '7'], /--keep-within 7 is not a duration/],
    [['--keep-last', '1', '--class', '../x'], /invalid class/],
  ];
  for (const [args, pattern] of cases) {
    const result = await backupCli(['prune', '--repo', repo, ...args]);
    assertExit(result, 2);
    assert.match(result.err, pattern, args.join(' '));
  }
  const missing = await backupCli(['prune', '--repo', join(dir, 'none'), '--keep-last', '1']);
  assertExit(missing, 10);
  assert.deepEqual(await repositoryFiles(repo), before);
});

/** Writes an exclusive lock as another process would. */
async function writeLock(repo: string, fields: { host: string; pid: number; ageMs: number }):
  Promise<string> {
  const time = new Date(Date.now() - fields.ageMs).toISOString();
  const name = 'exclusive-0badc0de.json';
  await mkdir(join(repo, 'locks'), { recursive: true });
  await writeFile(join(repo, 'locks', name), JSON.stringify({
    kind: 'exclusive', command: 'prune', host: fields.host, pid: fields.pid, time,
    refreshed: time,
  }));
  return time;
}

test('prune exits 11 while another holds the lock', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  await createBackups(repo, await sourceDir(dir), 2);
  // This test process is alive, so its lock is held.
  const since = await writeLock(repo, { host: hostname(), pid: process.pid, ageMs: 1000 });
  const before = await repositoryFiles(repo);

  const result = await backupCli(['prune', '--repo', repo, '--keep-last', '1']);
  assertExit(result, 11);
  assert.match(result.err, new RegExp(`locked by prune on host ${hostname()}, pid `
    + `${process.pid}, since ${since}.*\\[BACKUP_LOCKED\\]`));
  assert.deepEqual(await repositoryFiles(repo), before);

  const otherHost = await tempDir(t);
  const second = await newRepository(otherHost);
  await writeLock(second.repo, { host: 'elsewhere.example', pid: 1, ageMs: 60_000 });
  const remote = await backupCli(['prune', '--repo', second.repo, '--keep-last', '1']);
  assertExit(remote, 11);
  assert.match(remote.err, /on host elsewhere\.example, pid 1/);
});

test('prune breaks an invalid lock', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  await createBackups(repo, await sourceDir(dir), 2);
  await mkdir(join(repo, 'locks'), { recursive: true });
  await writeFile(join(repo, 'locks/exclusive-0badc0de.json'), '{"kind": "shared"}');
  const result = await backupCli(['prune', '--repo', repo, '--keep-last', '1']);
  assertExit(result, 0);
  assert.match(result.err,
    /breaking the stale lock locks\/exclusive-0badc0de\.json: it is not a valid lock record/);
  assert.deepEqual(await readdir(join(repo, 'locks')), []);
});

test('prune breaks stale locks with a warning', async (t) => {
  const cases: Array<{ name: string; host: string; pid: number; ageMs: number; reason: RegExp }> = [
    { name: 'older than the TTL', host: 'elsewhere.example', pid: 1, ageMs: 2 * 3_600_000,
      reason: /last refreshed 7200 s ago, more than the TTL of 1800 s/ },
    { name: 'a dead process on this host', host: hostname(), pid: deadPid(), ageMs: 1000,
      reason: /process \d+ no longer runs on this host/ },
  ];
  for (const { name, host, pid, ageMs, reason } of cases) {
    const dir = await tempDir(t);
    const { repo } = await newRepository(dir);
    await createBackups(repo, await sourceDir(dir), 2);
    await writeLock(repo, { host, pid, ageMs });
    const result = await backupCli(['prune', '--repo', repo, '--keep-last', '1']);
    assertExit(result, 0);
    assert.match(result.err,
      /warning: breaking the stale lock locks\/exclusive-0badc0de\.json/, name);
    assert.match(result.err, reason, name);
    assert.deepEqual(await readdir(join(repo, 'locks')), [], name);
    assert.match(result.out, /removed 1 backups, kept 1/, name);
  }
});

/** Returns the pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

test('prune removes the manifest before the artifact', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const [oldest] = await createBackups(repo, await sourceDir(dir), 2);
  const store = new DirectoryStore(repo);
  const deleted: string[] = [];
  const originalDelete = store.delete.bind(store);
  store.delete = async (key: string) => {
    deleted.push(key);
    await originalDelete(key);
  };

  const decisions = await pruneBackups(new Repository(store), {
    policy: { ...none, last: 1 }, dryRun: false, warn: () => {},
  });
  assert.equal(decisions.length, 2);
  const removal = deleted.filter((key) => !key.startsWith('locks/'));
  assert.deepEqual(removal, [
    `snapshots/${oldest}.json`, `data/${oldest}.srkb`, `verified/${oldest}.json`,
  ]);
  assert.match(deleted.at(-1) ?? '', /^locks\/exclusive-[0-9a-f]{8}\.json$/);
});

test('interrupted prune releases its lock', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  await createBackups(repo, await sourceDir(dir), 2);
  const before = await repositoryFiles(repo);
  const controller = new AbortController();
  controller.abort(new SrekitError('INTERRUPTED', 'backup prune was interrupted by SIGINT'));

  await assert.rejects(pruneBackups(new Repository(new DirectoryStore(repo)), {
    policy: { ...none, last: 1 }, dryRun: false, warn: () => {}, signal: controller.signal,
  }), /interrupted by SIGINT/);
  assert.deepEqual(await repositoryFiles(repo), before);
});

test('create runs beside a prune lock', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  await writeLock(repo, { host: hostname(), pid: process.pid, ageMs: 1000 });
  // A create only adds objects, so it neither waits for the lock nor removes it.
  const ids = await createBackups(repo, await sourceDir(dir), 1);
  assert.equal(ids.length, 1);
  assert.deepEqual(await readdir(join(repo, 'locks')), ['exclusive-0badc0de.json']);
});
