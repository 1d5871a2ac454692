import assert from 'node:assert/strict';
import { execFile, spawn, type ExecFileException } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderBackupRules, committedBackupRulesPath } from '../src/backup/metrics-rules.js';
import { findFreePorts, waitForHttpReady } from '../src/common/process.js';
import { backupCli, newRepository, tempDir } from './fixtures/backup/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function sourceDir(dir: string): Promise<string> {
  const source = join(dir, 'source');
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'file.txt'), 'content '.repeat(100));
  return source;
}

/** Returns the samples of a textfile or an exposition page as `name{labels}` to value. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match?.[1] !== undefined) values.set(match[1], Number(match[2]));
  }
  return values;
}

test('create writes textfile gauges per class', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const metrics = join(dir, 'metrics');
  await mkdir(metrics);
  const before = Date.now() / 1000;

  const created = await backupCli(['create', '--source', await sourceDir(dir), '--repo', repo,
    '--class', 'db', '--metrics-dir', metrics, '--json']);
  assert.equal(created.code, 0, created.err);
  const stored = (JSON.parse(created.out) as { artifact: { size: number } }).artifact.size;
  assert.deepEqual(await readdir(metrics), ['srekit_backup_create_db.prom']);
  const text = await readFile(join(metrics, 'srekit_backup_create_db.prom'), 'utf8');
  const values = samples(text);
  const success = values.get('srekit_backup_last_success_timestamp_seconds{class="db"}');
  assert.ok(success !== undefined, 'no success time');
  assert.ok(success >= before - 1, `success time ${success} is before the run`);
  assert.ok(success <= Date.now() / 1000, `success time ${success} is after the run`);
  assert.equal(values.get('srekit_backup_last_attempt_timestamp_seconds{class="db"}'), success);
  assert.equal(values.get('srekit_backup_last_attempt_success{class="db"}'), 1);
  assert.equal(values.get('srekit_backup_last_size_bytes{class="db"}'), stored);
  const duration = values.get('srekit_backup_last_duration_seconds{class="db"}') ?? -1;
  assert.ok(duration > 0, `duration ${duration}`);
  assert.ok(duration < 60, `duration ${duration}`);
  assert.match(text, /^# TYPE srekit_backup_last_size_bytes gauge$/m);
  assert.match(text, /^# HELP srekit_backup_last_success_timestamp_seconds /m);

  // A failed run moves the attempt but keeps the last success and its size.
  const failed = await backupCli(['create', '--source', await sourceDir(dir),
    '--repo', join(dir, 'missing'), '--class', 'db'],
  { SREKIT_BACKUP_METRICS_DIR: metrics });
  assert.equal(failed.code, 10, failed.err);
  const after = samples(await readFile(join(metrics, 'srekit_backup_create_db.prom'), 'utf8'));
  assert.equal(after.get('srekit_backup_last_success_timestamp_seconds{class="db"}'), success);
  assert.equal(after.get('srekit_backup_last_size_bytes{class="db"}'), stored);
  assert.equal(after.get('srekit_backup_last_attempt_success{class="db"}'), 0);
  assert.ok((after.get('srekit_backup_last_attempt_timestamp_seconds{class="db"}') ?? 0)
    >= (success ?? Infinity));
  assert.deepEqual((await readdir(metrics)).filter((name) => name.startsWith('.')), []);
});

test('verify writes gauges and a record', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const metrics = join(dir, 'metrics');
  await mkdir(metrics);
  const created = await backupCli(['create', '--source', await sourceDir(dir), '--repo', repo,
    '--class', 'app', '--json']);
  assert.equal(created.code, 0, created.err);
  const id = (JSON.parse(created.out) as { id: string }).id;

  const verified = await backupCli(['verify', '--repo', repo, '--metrics-dir', metrics]);
  assert.equal(verified.code, 0, verified.err);
  const values = samples(await readFile(join(metrics, 'srekit_backup_verify_app.prom'), 'utf8'));
  const success = values.get('srekit_backup_last_verify_success_timestamp_seconds{class="app"}');
  assert.ok(success !== undefined, 'no verify success time');
  assert.ok(success > Date.now() / 1000 - 60, `verify success time ${success} is old`);
  assert.ok(values.has('srekit_backup_last_verify_attempt_timestamp_seconds{class="app"}'));
  const record = JSON.parse(await readFile(join(repo, 'verified', `${id}.json`), 'utf8')) as
    { id: string; mode: string };
  assert.equal(record.id, id);
  assert.equal(record.mode, 'quick');
});

test('bad metrics directory changes nothing', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceDir(dir);
  const file = join(dir, 'file');
  await writeFile(file, '');
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--metrics-dir', join(dir, 'none')], {},
      /metrics directory .*none \(from --metrics-dir\) cannot be used: no such file/],
    [['--metrics-dir', file], {}, /metrics directory .*file \(from --metrics-dir\) is not a dir/],
    [[], { SREKIT_BACKUP_METRICS_DIR: join(dir, 'none') },
      /\(from SREKIT_BACKUP_METRICS_DIR\) cannot be used/],
  ];
  for (const [args, env, pattern] of cases) {
    const result = await backupCli(['create', '--source', source, '--repo', repo, ...args], env);
    assert.equal(result.code, 2, result.err);
    assert.match(result.err, pattern);
  }
  assert.deepEqual(await readdir(repo), ['config.json']);
});

test('node-exporter serves the backup gauges', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const metrics = join(dir, 'metrics');
  await mkdir(metrics);
  const source = await sourceDir(dir);
  for (const className of ['db', 'app']) {
    const created = await backupCli(['create', '--source', source, '--repo', repo,
      '--class', className, '--metrics-dir', metrics]);
    assert.equal(created.code, 0, created.err);
  }
  const verified = await backupCli(['verify', '--repo', repo, '--all', '--metrics-dir', metrics]);
  assert.equal(verified.code, 0, verified.err);

  const [port] = await findFreePorts(1);
  const exporter = spawn('prometheus-node-exporter', [
    `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults',
    '--collector.textfile', `--collector.textfile.directory=${metrics}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  exporter.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  t.after(() => {
    exporter.kill('SIGTERM');
  });
  const url = `http://127.0.0.1:${port}/metrics`;
  const ready = await waitForHttpReady(url, {
    timeoutMs: 15_000, isAlive: () => exporter.exitCode === null,
  });
  assert.ok(ready.ready, `node-exporter did not start: ${JSON.stringify(ready)}\n${log}`);

  const values = samples(await (await fetch(url)).text());
  assert.equal(values.get('node_textfile_scrape_error'), 0, log);
  for (const className of ['db', 'app']) {
    for (const name of ['srekit_backup_last_success_timestamp_seconds',
      'srekit_backup_last_attempt_timestamp_seconds', 'srekit_backup_last_duration_seconds',
      'srekit_backup_last_size_bytes', 'srekit_backup_last_attempt_success',
      'srekit_backup_last_verify_success_timestamp_seconds']) {
      const value = values.get(`${name}{class="${className}"}`);
      assert.ok(value !== undefined, `${name} of ${className} is missing`);
      assert.ok(value > 0, `${name} of ${className} is ${value}`);
    }
  }
  for (const file of await readdir(metrics)) {
    const mtime = values.get(`node_textfile_mtime_seconds{file="${join(metrics, file)}"}`)
      ?? values.get(`node_textfile_mtime_seconds{file="${file}"}`);
    assert.ok(mtime !== undefined, `node-exporter did not read ${file}`);
  }
});

test('committed backup rules are current', async () => {
  const committed = await readFile(join(root, committedBackupRulesPath), 'utf8');
  assert.equal(committed, renderBackupRules(),
    'run `srekit backup alert-rules --output monitoring/prometheus/rules/backup.yml`');
  const check = await backupCli(['alert-rules', '--output', join(root, committedBackupRulesPath),
    '--check']);
  assert.equal(check.code, 0, check.err);
});

test('alert-rules check reports a stale file', async (t) => {
  const dir = await tempDir(t);
  const stale = join(dir, 'backup.yml');
  await writeFile(stale, renderBackupRules().replace('> 1350', '> 1800'));
  const result = await backupCli(['alert-rules', '--output', stale, '--check']);
  assert.equal(result.code, 1);
  assert.match(result.err, /backup\.yml is stale or missing; run `srekit backup alert-rules/);
  assert.match(await readFile(stale, 'utf8'), /> 1800/);
});

test('promtool passes the committed backup rules', async () => {
  const rules = await promtool(['check', 'rules', join(root, committedBackupRulesPath)]);
  assert.equal(rules.code, 0, rules.output);
  assert.match(rules.output, /SUCCESS: 6 rules found/);
  const tests = await promtool(['test', 'rules',
    join(root, 'monitoring/prometheus/tests/backup.test.yml')]);
  assert.equal(tests.code, 0, tests.output);
  assert.match(tests.output, /SUCCESS/);
});

/** Returns a child's exit code from execFile's error: 0 without one, -1 when it was killed. */
function exitCodeOf(error: ExecFileException | null): number {
  if (error === null) return 0;
  return typeof error.code === 'number' ? error.code : -1;
}

function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: exitCodeOf(error), output: `${stdout}${stderr}` });
    });
  });
}

test('failed verify removes the record', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await sourceDir(dir);
  for (let index = 0; index < 2; index += 1) {
    const created = await backupCli(['create', '--source', source, '--repo', repo]);
    assert.equal(created.code, 0, created.err);
  }
  const first = await backupCli(['verify', '--repo', repo, '--all']);
  assert.equal(first.code, 0, first.err);
  const records = (await readdir(join(repo, 'verified'))).sort();
  assert.equal(records.length, 2);

  const damaged = join(repo, 'data', `${records[1]?.replace(/\.json$/, '')}.srkb`);
  await writeFile(damaged, 'not an artifact');
  const second = await backupCli(['verify', '--repo', repo, '--all']);
  assert.equal(second.code, 1, second.err);
  assert.deepEqual(await readdir(join(repo, 'verified')), [records[0]]);

  // A single backup that fails loses its record too, and its class's gauges show the failure.
  const metrics = join(dir, 'metrics');
  await mkdir(metrics);
  const goodId = records[0]?.replace(/\.json$/, '') ?? '';
  await writeFile(join(repo, 'data', `${goodId}.srkb`), 'damaged as well');
  const single = await backupCli(['verify', '--repo', repo, goodId, '--metrics-dir', metrics]);
  assert.equal(single.code, 1, single.err);
  assert.match(single.err, /BACKUP_DAMAGED/);
  assert.deepEqual(await readdir(join(repo, 'verified')), []);
  const values = samples(await readFile(join(metrics, 'srekit_backup_verify_default.prom'),
    'utf8'));
  assert.ok(values.has('srekit_backup_last_verify_attempt_timestamp_seconds{class="default"}'));
  assert.equal(
    values.get('srekit_backup_last_verify_success_timestamp_seconds{class="default"}'), undefined);
});
