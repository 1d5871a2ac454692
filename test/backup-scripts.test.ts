import assert from 'node:assert/strict';
import { execFile, type ExecFileException } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findExecutable } from '../src/common/process.js';
import { newRepository, onlyArtifact, tempDir } from './fixtures/backup/helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scripts = join(root, 'scripts');
const cli = join(root, 'dist/src/bin.js');

interface ScriptResult {
  code: number;
  out: string;
  err: string;
}

/** Runs a script with only the given environment, PATH and SREKIT_BIN. */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv):
  Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(join(scripts, script), args, {
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, ...env }, timeout: 60_000,
    }, (error, stdout, stderr) => {
      resolve({ code: exitCodeOf(error), out: stdout, err: stderr });
    });
  });
}

/** Returns a child's exit code from execFile's error: 0 without one, -1 when it was killed. */
function exitCodeOf(error: ExecFileException | null): number {
  if (error === null) return 0;
  return typeof error.code === 'number' ? error.code : -1;
}

function assertCode(result: ScriptResult, code: number): void {
  assert.equal(result.code, code,
    `exit ${result.code}\nstdout: ${result.out}\nstderr: ${result.err}`);
}

/** Writes an executable that runs this checkout's srekit, for SREKIT_BIN. */
async function srekitBin(dir: string): Promise<string> {
  const path = join(dir, 'srekit');
  await writeFile(path, `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

interface Setup {
  dir: string;
  repo: string;
  source: string;
  keyFile: string;
  bin: string;
  envFile: string;
}

async function setUp(t: Parameters<typeof tempDir>[0], settings: Record<string, string> = {}):
  Promise<Setup> {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(source);
  await writeFile(join(source, 'orders.csv'), 'id,total\n1,20\n');
  const envFile = join(dir, 'backup.env');
  const lines = Object.entries({
    SREKIT_BACKUP_REPO: repo, SREKIT_BACKUP_SOURCE: source, SREKIT_BACKUP_KEY_FILE: keyFile,
    SREKIT_BACKUP_CLASS: 'db', ...settings,
  }).map(([name, value]) => `${name}=${value}`);
  await writeFile(envFile, `# settings of the db backup\n${lines.join('\n')}\n`);
  return { dir, repo, source, keyFile, bin: await srekitBin(dir), envFile };
}

async function backupIds(repo: string): Promise<string[]> {
  const names = await readdir(join(repo, 'snapshots')).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('.json')).sort();
}

test('backup.sh creates and prunes from an env file', async (t) => {
  const setup = await setUp(t, { SREKIT_BACKUP_KEEP_LAST: '2' });
  const metrics = join(setup.dir, 'metrics');
  await mkdir(metrics);
  const env = { SREKIT_BIN: setup.bin, SREKIT_BACKUP_METRICS_DIR: metrics };
  for (let run = 0; run < 3; run += 1) {
    const result = await runScript('backup.sh', ['--env-file', setup.envFile], env);
    assertCode(result, 0);
    assert.match(result.out, /created backup \S+: 1 files/);
  }
  assert.equal((await backupIds(setup.repo)).length, 2);
  const prom = await readFile(join(metrics, 'srekit_backup_create_db.prom'), 'utf8');
  assert.match(prom, /^srekit_backup_last_success_timestamp_seconds\{class="db"\} \d/m);
});

test('backup.sh reads settings from the environment', async (t) => {
  const setup = await setUp(t);
  const result = await runScript('backup.sh', [], {
    SREKIT_BACKUP_REPO: setup.repo, SREKIT_BACKUP_SOURCE: setup.source,
    SREKIT_BACKUP_COMPRESSION: 'gzip',
  });
  assertCode(result, 0);
  // Without SREKIT_BIN the script falls back to this checkout's build.
  assert.match(result.out, /created backup .*\(gzip, unencrypted\)/);
  const list = JSON.parse(await readFile(join(setup.repo, 'snapshots',
    (await backupIds(setup.repo))[0] ?? ''), 'utf8')) as { class: string };
  assert.equal(list.class, 'default');
});

test('verify and restore scripts round trip', async (t) => {
  const setup = await setUp(t, { SREKIT_BACKUP_VERIFY: 'full' });
  const env = { SREKIT_BIN: setup.bin };
  assertCode(await runScript('backup.sh', ['--env-file', setup.envFile], env), 0);

  const verified = await runScript('verifybackup.sh', ['--env-file', setup.envFile], env);
  assertCode(verified, 0);
  assert.match(verified.out, /backup \S+: ok \(full, /);
  assert.equal((await readdir(join(setup.repo, 'verified'))).length, 1);

  const target = join(setup.dir, 'restored');
  const restored = await runScript('restore.sh', ['--env-file', setup.envFile],
    { ...env, SREKIT_BACKUP_RESTORE_TO: target });
  assertCode(restored, 0);
  assert.equal(await readFile(join(target, 'orders.csv'), 'utf8'), 'id,total\n1,20\n');

  // Arguments after the env file go to srekit unchanged.
  const json = await runScript('verifybackup.sh', ['--env-file', setup.envFile, '--', '--json'],
    env);
  assertCode(json, 0);
  assert.equal((JSON.parse(json.out) as { ok: boolean }).ok, true);
});

test('scripts keep srekit exit codes', async (t) => {
  const setup = await setUp(t);
  const env = { SREKIT_BIN: setup.bin };
  assertCode(await runScript('backup.sh', ['--env-file', setup.envFile], env), 0);

  const noRepoEnv = join(setup.dir, 'no-repo.env');
  await writeFile(noRepoEnv, `SREKIT_BACKUP_REPO=${join(setup.dir, 'missing')}\n`
    + `SREKIT_BACKUP_SOURCE=${setup.source}\nSREKIT_BACKUP_RESTORE_TO=${join(setup.dir, 't')}\n`);
  for (const script of ['backup.sh', 'verifybackup.sh', 'restore.sh']) {
    const result = await runScript(script, ['--env-file', noRepoEnv], env);
    assertCode(result, 10);
    assert.match(result.err, /no backup repository at .*missing/, script);
  }

  const wrongKey = join(setup.dir, 'wrong-key');
  await writeFile(wrongKey, randomBytes(32));
  const wrongEnv = join(setup.dir, 'wrong.env');
  await writeFile(wrongEnv, `SREKIT_BACKUP_REPO=${setup.repo}\nSREKIT_BACKUP_KEY_FILE=${wrongKey}\n`
    + `SREKIT_BACKUP_VERIFY=full\nSREKIT_BACKUP_RESTORE_TO=${join(setup.dir, 'other')}\n`);
  assertCode(await runScript('verifybackup.sh', ['--env-file', wrongEnv], env), 12);
  assertCode(await runScript('restore.sh', ['--env-file', wrongEnv], env), 12);

  const artifact = await onlyArtifact(setup.repo);
  const bytes = await readFile(artifact);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
  await writeFile(artifact, bytes);
  const damaged = await runScript('verifybackup.sh', ['--env-file', setup.envFile], env);
  assertCode(damaged, 1);
  assert.match(damaged.err, /BACKUP_DAMAGED/);
});

test('backup.sh exits 11 when prune finds the lock held', async (t) => {
  const setup = await setUp(t, { SREKIT_BACKUP_KEEP_LAST: '1' });
  await mkdir(join(setup.repo, 'locks'));
  const now = new Date().toISOString();
  await writeFile(join(setup.repo, 'locks/exclusive-0badc0de.json'), JSON.stringify({
    kind: 'exclusive', command: 'prune', host: hostname(), pid: process.pid, time: now,
    refreshed: now,
  }));
  const result = await runScript('backup.sh', ['--env-file', setup.envFile],
    { SREKIT_BIN: setup.bin });
  assertCode(result, 11);
  assert.match(result.err, /locked by prune on host/);
  assert.equal((await backupIds(setup.repo)).length, 1);
});

test('scripts reject missing settings', async (t) => {
  const setup = await setUp(t);
  const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['backup.sh', [], { SREKIT_BACKUP_REPO: setup.repo }, /SREKIT_BACKUP_SOURCE is not set/],
    ['verifybackup.sh', [], {}, /SREKIT_BACKUP_REPO is not set/],
    ['restore.sh', [], { SREKIT_BACKUP_REPO: setup.repo }, /SREKIT_BACKUP_RESTORE_TO is not set/],
    ['backup.sh', ['--env-file', join(setup.dir, 'none.env')], {},
      /env file .*none\.env is missing or not readable/],
    ['backup.sh', ['--env-file'], {}, /--env-file needs a file name/],
    ['verifybackup.sh', [], { SREKIT_BACKUP_REPO: setup.repo, SREKIT_BACKUP_VERIFY: 'deep' },
      /SREKIT_BACKUP_VERIFY=deep is not quick, full or a percentage/],
  ];
  for (const [script, args, env, pattern] of cases) {
    const result = await runScript(script, args, { SREKIT_BIN: setup.bin, ...env });
    assertCode(result, 2);
    assert.match(result.err, pattern, `${script} ${args.join(' ')}`);
  }
  assert.equal((await backupIds(setup.repo)).length, 0);
});

test('scripts pass shellcheck', { skip: findExecutable(['shellcheck']) === undefined
  ? 'shellcheck is not installed' : false }, async () => {
  const files = ['backup.sh', 'verifybackup.sh', 'restore.sh', 'backup-lib.sh']
    .map((name) => join(scripts, name));
  const result = await new Promise<ScriptResult>((resolve) => {
    execFile('shellcheck', ['-x', ...files], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : 1, out: stdout, err: stderr });
    });
  });
  assertCode(result, 0);
});
