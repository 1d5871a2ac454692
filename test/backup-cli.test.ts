import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { run } from '../src/cli.js';
import { backupCli, newRepository, tempDir, type CliResult } from './fixtures/backup/helpers.js';
import { captureIo } from './helpers/io.js';

function assertExit(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit ${result.code}, stderr: ${result.err}`);
  assert.match(result.err, pattern);
}

async function sourceWithFile(dir: string, content = 'content'): Promise<string> {
  const source = join(dir, 'source');
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'file.txt'), content);
  return source;
}

test('create rejects bad usage', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  const shortKey = join(dir, 'short-key');
  await writeFile(shortKey, 'too short');
  const cases: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    ['missing --source', ['--repo', repo], {}, /required option '--source <path>'/],
    ['unknown compression', ['--source', source, '--repo', repo, '--compression', 'lz4'], {},
      /argument 'lz4' is invalid.*zstd, gzip, none/],
    ['a missing source', ['--source', join(dir, 'nope'), '--repo', repo], {},
      /could not read source .*nope: no such file or directory/],
    ['a file as source', ['--source', keyFile, '--repo', repo], {}, /is not a directory/],
    ['a short key file', ['--source', source, '--repo', repo, '--key-file', shortKey], {},
      /has 9 bytes, so it is not a 32-byte key/],
    ['both key options', ['--source', source, '--repo', repo, '--key-file', keyFile,
      '--passphrase-env', 'PASS'], { PASS: 'x' }, /cannot be used with option/],
    ['an unset passphrase variable', ['--source', source, '--repo', repo,
      '--passphrase-env', 'UNSET_PASS'], {}, /UNSET_PASS, which is not set/],
    ['an invalid tag', ['--source', source, '--repo', repo, '--tag', 'no-equals'], {},
      /invalid tag "no-equals"/],
    ['an invalid class', ['--source', source, '--repo', repo, '--class', '../x'], {},
      /invalid class "..\/x"/],
  ];
  for (const [name, args, env, pattern] of cases) {
    const result = await backupCli(['create', ...args], env);
    assertExit(result, 2, pattern);
    assert.deepEqual(await readdir(repo), ['config.json'], `${name} changed the repository`);
  }
});

test('missing repository exits 10', async (t) => {
  const dir = await tempDir(t);
  const source = await sourceWithFile(dir);
  const repo = join(dir, 'no-repo');
  const commands = [
    ['create', '--source', source, '--repo', repo],
    ['list', '--repo', repo],
    ['verify', '--repo', repo],
    ['restore', '--repo', repo, '--to', join(dir, 'target')],
  ];
  for (const args of commands) {
    const result = await backupCli(args);
    assertExit(result, 10, /no backup repository at .*no-repo \[BACKUP_NO_REPOSITORY\]/);
    assert.match(result.err, /srekit backup init --repo/);
  }
  assert.deepEqual(await readdir(dir), ['source']);
});

test('init rejects an existing repository', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const again = await backupCli(['init', '--repo', repo]);
  assertExit(again, 2, /is already a backup repository/);
});

test('restore keeps a non-empty target', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir, 'from the backup');
  assert.equal((await backupCli(['create', '--source', source, '--repo', repo])).code, 0);
  const target = join(dir, 'target');
  await mkdir(target);
  await writeFile(join(target, 'precious.txt'), 'keep me');

  const rejected = await backupCli(['restore', '--repo', repo, '--to', target]);
  assertExit(rejected, 2, /restore target .*target exists and is not empty/);
  assert.match(rejected.err, /--force/);
  assert.deepEqual(await readdir(target), ['precious.txt']);
  assert.equal(await readFile(join(target, 'precious.txt'), 'utf8'), 'keep me');

  const forced = await backupCli(['restore', '--repo', repo, '--to', target, '--force']);
  assert.equal(forced.code, 0, forced.err);
  assert.deepEqual(await readdir(target), ['file.txt']);
  assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('.')), []);

  const empty = join(dir, 'empty-target');
  await mkdir(empty);
  const intoEmpty = await backupCli(['restore', '--repo', repo, '--to', empty]);
  assert.equal(intoEmpty.code, 0, intoEmpty.err);
  assert.equal(await readFile(join(empty, 'file.txt'), 'utf8'), 'from the backup');
});

test('verify and restore reject bad selections', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const cases: [string[], number, RegExp][] = [
    [['verify', '--repo', repo], 1, /the repository has no backup \[BACKUP_NOT_FOUND\]/],
    [['verify', '--repo', repo, '--sample', '0'], 2, /--sample 0 is not a percentage/],
    [['verify', '--repo', repo, '--full', '--sample', '5'], 2, /cannot be used with option/],
    [['verify', '--repo', repo, '--all', '--id', 'x'], 2, /--all cannot be combined/],
    [['restore', '--repo', repo, '--to', join(dir, 't'), '--at', 'yesterday'], 2,
      /--at yesterday is not a date and time/],
    [['restore', '--repo', repo, '--to', join(dir, 't'), '--id', '20260101T000000Z-00000000'], 1,
      /no backup has the id 20260101T000000Z-00000000/],
    [['restore', '--repo', repo], 2, /required option '--to <path>'/],
  ];
  for (const [args, code, pattern] of cases) assertExit(await backupCli(args), code, pattern);
});

test('restore --at picks an older backup', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir, 'first');
  const first = await backupCli(['create', '--source', source, '--repo', repo, '--json']);
  assert.equal(first.code, 0, first.err);
  const firstTime = (JSON.parse(first.out) as { time: string }).time;
  // Backup ids and times have one-second resolution in the listing's order.
  await delay(1100);
  await writeFile(join(source, 'file.txt'), 'second');
  assert.equal((await backupCli(['create', '--source', source, '--repo', repo])).code, 0);

  const atFirst = join(dir, 'at-first');
  const restored = await backupCli(['restore', '--repo', repo, '--at', firstTime,
    '--to', atFirst]);
  assert.equal(restored.code, 0, restored.err);
  assert.equal(await readFile(join(atFirst, 'file.txt'), 'utf8'), 'first');

  const latest = join(dir, 'latest');
  assert.equal((await backupCli(['restore', 'latest', '--repo', repo, '--to', latest])).code, 0);
  assert.equal(await readFile(join(latest, 'file.txt'), 'utf8'), 'second');
});

test('verify --all reports each damaged backup', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  const ids: string[] = [];
  for (let index = 0; index < 2; index += 1) {
    const created = await backupCli(['create', '--source', source, '--repo', repo, '--json']);
    ids.push((JSON.parse(created.out) as { id: string }).id);
  }
  const damaged = join(repo, 'data', `${ids[0] ?? ''}.srkb`);
  const bytes = await readFile(damaged);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
  await writeFile(damaged, bytes);

  const result = await backupCli(['verify', '--repo', repo, '--all', '--json']);
  assert.equal(result.code, 1, result.err);
  const records = result.out.trim().split('\n').map((line) => JSON.parse(line) as {
    id: string; ok: boolean;
  });
  const outcomes = records.map((record) => [record.id, record.ok]);
  assert.deepEqual(outcomes, [[ids[0], false], [ids[1], true]]);
  assert.match(result.err, new RegExp(`backup ${ids[0] ?? ''} is damaged`));
});

test('FIFO makes an incomplete backup', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  execFileSync('mkfifo', [join(source, 'pipe')]);
  const created = await backupCli(['create', '--source', source, '--repo', repo]);
  assertExit(created, 3, /skipped pipe: a FIFO cannot be archived/);
  assert.match(created.err, /\[BACKUP_INCOMPLETE\]/);
  const listed = await backupCli(['list', '--repo', repo]);
  assert.match(listed.out, /incomplete/);
  const restored = await backupCli(['restore', '--repo', repo, '--to', join(dir, 'target')]);
  assert.equal(restored.code, 0, restored.err);
  assert.deepEqual(await readdir(join(dir, 'target')), ['file.txt']);
});

test('backup help lists the exit status', async () => {
  for (const verb of ['create', 'list', 'verify', 'restore']) {
    const result = await backupCli([verb, '--help']);
    assert.equal(result.code, 0);
    assert.match(result.out, /Exit status:\n {2}0 {3}success/);
    assert.match(result.out, /12 {2}the key or passphrase is missing or wrong/);
  }
});

test('create shows progress on a terminal', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(source);
  for (let index = 0; index < 40; index += 1) {
    await writeFile(join(source, `file-${index}.bin`), Buffer.alloc(1024 * 1024, index));
  }
  const io = captureIo();
  io.interactive = true;
  const code = await run(['backup', 'create', '--source', source, '--repo', repo,
    '--compression', 'gzip'], io);
  assert.equal(code, 0, io.err());
  assert.match(io.err(), /\rread [\d.]+ (B|KiB|MiB) \([\d.]+ (B|KiB|MiB|GiB)\/s\)/);
  assert.match(io.out(), /^created backup /);
});

test('restore rejects a target in the repository', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  assert.equal((await backupCli(['create', '--source', source, '--repo', repo])).code, 0);
  for (const target of [repo, join(repo, 'inside'), dir]) {
    const result = await backupCli(['restore', '--repo', repo, '--to', target, '--force']);
    assertExit(result, 2, /overlaps the repository/);
  }
  assert.deepEqual((await readdir(repo)).sort(), ['config.json', 'data', 'locks', 'snapshots']);
});

test('failed restore removes the parents it created', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  const created = await backupCli(['create', '--source', source, '--repo', repo, '--json']);
  const { id } = JSON.parse(created.out) as { id: string };
  const artifact = join(repo, 'data', `${id}.srkb`);
  const bytes = await readFile(artifact);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  await writeFile(artifact, bytes);

  const result = await backupCli(['restore', '--repo', repo, '--to', join(dir, 'new/deeper/target')]);
  assertExit(result, 1, /BACKUP_DAMAGED/);
  assert.deepEqual((await readdir(dir)).sort(), ['key', 'repo', 'source']);
});

test('empty source round-trips', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = join(dir, 'empty-source');
  await mkdir(source);
  const created = await backupCli(['create', '--source', source, '--repo', repo]);
  assert.equal(created.code, 0, created.err);
  assert.match(created.out, /0 files/);
  const target = join(dir, 'target');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target]);
  assert.equal(restored.code, 0, restored.err);
  assert.deepEqual(await readdir(target), []);
});

test('list reports an unreadable manifest', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  const created = await backupCli(['create', '--source', source, '--repo', repo, '--json']);
  const { id } = JSON.parse(created.out) as { id: string };
  await writeFile(join(repo, 'snapshots', '20260101T000000Z-00000000.json'), '{"id": 1}');

  const listed = await backupCli(['list', '--repo', repo, '--json']);
  assert.equal(listed.code, 1, listed.err);
  assert.equal((JSON.parse(listed.out) as { id: string }).id, id);
  assert.match(listed.err, /could not read manifest snapshots\/20260101T000000Z-00000000\.json/);
});

test('verify modes find a damaged segment', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(source);
  await writeFile(join(source, 'random.bin'), randomBytes(3_500_000));
  assert.equal((await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile])).code, 0);
  const [name] = await readdir(join(repo, 'data'));
  const artifact = join(repo, 'data', name ?? '');
  const bytes = await readFile(artifact);
  // Byte 1.5 MiB lies in the second of four segments.
  const position = 1.5 * 1024 * 1024;
  bytes[position] = (bytes[position] ?? 0) ^ 1;
  await writeFile(artifact, bytes);

  for (const mode of [[], ['--full'], ['--sample', '100']]) {
    const result = await backupCli(['verify', '--repo', repo, ...mode, '--key-file', keyFile]);
    assertExit(result, 1, /BACKUP_DAMAGED/);
  }
  const sampled = await backupCli(['verify', '--repo', repo, '--sample', '1', '--key-file',
    keyFile, '--json']);
  // 1% of four segments rounds up to one, and the last segment is always among them.
  assert.equal(sampled.code, 0, sampled.err);
  const record = JSON.parse(sampled.out) as { segmentsChecked: number };
  assert.equal(record.segmentsChecked, 1);
});

test('empty path options are rejected', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  const created = await backupCli(['create', '--source', source, '--repo', repo]);
  assert.equal(created.code, 0, created.err);
  // An empty path means the current directory, so each case runs in a scratch one.
  const cwd = join(dir, 'cwd');
  await mkdir(cwd);
  await writeFile(join(cwd, 'keep.txt'), 'keep');
  const previous = process.cwd();
  process.chdir(cwd);
  t.after(() => process.chdir(previous));
  const repoBefore = await readdir(repo, { recursive: true });
  const cases: [string, string[]][] = [
    ['--repo', ['init', '--repo', '']],
    ['--repo', ['create', '--source', source, '--repo', '']],
    ['--repo', ['list', '--repo', ' ']],
    ['--source', ['create', '--source', '', '--repo', repo]],
    ['--key-file', ['create', '--source', source, '--repo', repo, '--key-file', '']],
    ['--metrics-dir', ['create', '--source', source, '--repo', repo, '--metrics-dir', '']],
    ['--to', ['restore', '--repo', repo, '--to', '', '--force']],
    ['--to', ['restore', '--repo', repo, '--to', ' \t', '--force']],
    ['--key-file', ['verify', '--repo', repo, '--full', '--key-file', '']],
    ['--metrics-dir', ['verify', '--repo', repo, '--metrics-dir', '']],
    ['--to', ['copy', '--repo', repo, '--to', '']],
    ['--repo', ['drill', '--repo', '']],
    ['--repo', ['prune', '--repo', '', '--keep-last', '1']],
    ['--output-dir', ['schedule', '--class', 'db', '--every', '15m', '--output-dir', '']],
  ];
  for (const [option, args] of cases) {
    const result = await backupCli(args);
    const shown = args.join(' ');
    assert.equal(result.code, 2, `${shown}: exit ${result.code}, stderr: ${result.err}`);
    assert.match(result.err, new RegExp(`option '${option} `), shown);
    assert.match(result.err, /must not be empty/, shown);
    assert.deepEqual(await readdir(cwd), ['keep.txt'],
      `${shown} wrote into the current directory`);
    assert.deepEqual(await readdir(repo, { recursive: true }), repoBefore,
      `${shown} changed --repo`);
  }
});

test('key file errors never suggest overwriting it', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(created.code, 0, created.err);
  const withNewline = join(dir, 'key-with-newline');
  await writeFile(withNewline, Buffer.concat([await readFile(keyFile), Buffer.from('\n')]));
  const missing = join(dir, 'missing-key');
  const target = join(dir, 'target');
  const readers: string[][] = [
    ['verify', '--repo', repo, '--full'],
    ['restore', '--repo', repo, '--to', target],
    ['drill', '--repo', repo],
  ];
  for (const args of readers) {
    const shown = args[0] ?? '';
    const wrongSize = await backupCli([...args, '--key-file', withNewline]);
    assertExit(wrongSize, 2, /key-with-newline has 33 bytes, so it is not a 32-byte key/);
    assert.match(wrongSize.err, /ends with a newline/, shown);
    assert.match(wrongSize.err, /the key used when the backup was created/, shown);
    assert.doesNotMatch(wrongSize.err, /urandom/, shown);
    const absent = await backupCli([...args, '--key-file', missing]);
    assertExit(absent, 2, /could not read key file .*missing-key: no such file/);
    assert.match(absent.err, /the key used when the backup was created/, shown);
    assert.doesNotMatch(absent.err, /urandom/, shown);
  }
  await assert.rejects(readFile(target), { code: 'ENOENT' });

  const createArgs = ['create', '--source', source, '--repo', repo];
  const createWrongSize = await backupCli([...createArgs, '--key-file', withNewline]);
  assertExit(createWrongSize, 2, /has 33 bytes, so it is not a 32-byte key/);
  assert.doesNotMatch(createWrongSize.err, /urandom/);
  const createAbsent = await backupCli([...createArgs, '--key-file', missing]);
  assertExit(createAbsent, 2, /could not read key file/);
  assert.match(createAbsent.err, /head -c 32 \/dev\/urandom > .*missing-key/);
});

/**
 * Runs the srekit CLI in a new Node.js process and returns the files of the packages it
 * loaded. The script is a file, because worker threads inherit `--input-type` and fail.
 */
async function packagesLoadedBy(dir: string, args: string[]): Promise<string[]> {
  const cli = new URL('../src/cli.js', import.meta.url).href;
  const script = `
    import { createRequire } from 'node:module';
    const { run } = await import(${JSON.stringify(cli)});
    const io = { stdout: process.stdout, stderr: process.stderr, env: process.env,
      interactive: false };
    const code = await run(${JSON.stringify(args)}, io);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify({ code, loaded }));`;
  const scriptFile = join(dir, 'loaded-packages.mjs');
  await writeFile(scriptFile, script);
  const output = execFileSync(process.execPath, [scriptFile], { encoding: 'utf8' });
  const { code, loaded } = JSON.parse(output.slice(output.lastIndexOf('{"code"'))) as
    { code: number; loaded: string[] };
  assert.equal(code, 0, `srekit ${args.join(' ')} exited ${code}`);
  return loaded;
}

test('create skips S3 and database clients', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceWithFile(dir);
  const loaded = await packagesLoadedBy(dir, ['backup', 'create', '--source', source, '--repo', repo]);
  assert.ok(loaded.some((path) => path.includes('/zstd-napi/')), 'zstd-napi was not loaded');
  for (const name of ['@aws-sdk', 'pg', 'better-sqlite3', 'yaml', 'pino']) {
    const found = loaded.find((path) => path.includes(`/node_modules/${name}/`));
    assert.equal(found, undefined, `backup create loaded ${name}`);
  }
});
