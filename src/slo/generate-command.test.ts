import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../cli.js';
import { captureIo } from '../../test/helpers/io.js';

const cli = fileURLToPath(new URL('../bin.js', import.meta.url));

test('generate --check names the fix', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const production = join(dir, 'alerts.yml');
  assert.equal(await run(['slo', 'generate', '-o', production], captureIo()), 0);

  const cases = [
    {
      args: ['--check', '--profile', 'gameday'],
      code: 2,
      error: /error: --check needs a rule file to compare, and the gameday profile has no default file/,
      hint: 'name the file with -o: `srekit slo generate --check --profile gameday -o FILE`',
    },
    {
      args: ['--check', '--profile', 'gameday', '-o', '-'],
      code: 2,
      error: /error: --check compares a rule file, so --output cannot be `-`/,
      hint: 'name the file with -o: `srekit slo generate --check --profile gameday -o FILE`',
    },
    {
      args: ['--check', '--profile', 'gameday', '-o', production],
      code: 1,
      error: /error: rule file .*alerts\.yml was generated for the production profile, not for gameday/,
      hint: `check it with \`srekit slo generate --check -o ${production}\`, or replace it with `
        + `\`srekit slo generate --profile gameday -o ${production}\``,
    },
    {
      args: ['--check', '--profile', 'gameday', '-o', join(dir, 'missing.yml')],
      code: 1,
      error: /error: rule file .*missing\.yml is missing/,
      hint: `create it with \`srekit slo generate --profile gameday -o ${join(dir, 'missing.yml')}\``,
    },
    {
      args: ['--check', '--runbook-base-url', 'https://example.com/run books/', '-o', production],
      code: 1,
      error: /error: rule file .*alerts\.yml is stale/,
      hint: `rewrite it with \`srekit slo generate -o ${production} `
        + `--runbook-base-url 'https://example.com/run books/'\``,
    },
  ];
  for (const { args, code, error, hint } of cases) {
    const io = captureIo();
    assert.equal(await run(['slo', 'generate', ...args], io), code, args.join(' '));
    assert.match(io.err(), error);
    assert.equal(io.err().split('\n').find((line) => line.startsWith('hint: ')), `hint: ${hint}`);
  }
});

test('generate rejects a bad output path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'afile');
  await writeFile(file, 'kept\n');
  const cases = [
    { args: ['-o', dir], error: /error: invalid --output .*: it is a directory \[INVALID_INPUT\]/ },
    { args: ['--check', '-o', dir], error: /error: invalid --output .*: it is a directory/ },
    { args: ['-o', '/proc/srekit-alerts.yml'], error: /invalid --output \/proc\/srekit-alerts\.yml: cannot write it: / },
    { args: ['-o', join(file, 'sub', 'alerts.yml')], error: /invalid --output .*: .*afile is a file, not a directory/ },
    { args: ['--check', '-o', join(file, 'alerts.yml')], error: /invalid --output .*: cannot read it: not a directory/ },
    { args: ['-o', join(dir, `${'x'.repeat(300)}.yml`)], error: /invalid --output .*: .*name too long/ },
  ];
  for (const { args, error } of cases) {
    const io = captureIo();
    assert.equal(await run(['slo', 'generate', ...args], io), 2, args.join(' '));
    assert.match(io.err(), error);
    assert.match(io.err(), /\nhint: /);
  }
  assert.deepEqual(await readdir(dir), ['afile'], 'nothing was written');
  assert.equal(await readFile(file, 'utf8'), 'kept\n');
});

test('failed write leaves nothing behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const existing = join(dir, 'alerts.yml');
  await writeFile(existing, 'old rules\n');
  // A file size limit of 0 makes every write fail with EFBIG, after the
  // directories were created; Node.js ignores SIGXFSZ, so the write returns
  // an error instead of ending the process.
  for (const output of [join(dir, 'new', 'sub', 'alerts.yml'), existing]) {
    const result = spawnSync('sh', ['-c', 'ulimit -f 0 && exec "$0" "$@"', process.execPath,
      cli, 'slo', 'generate', '-o', output], { encoding: 'utf8' });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /EFBIG/);
  }
  assert.deepEqual(await readdir(dir), ['alerts.yml'], 'no directory or temporary file is left');
  assert.equal(await readFile(existing, 'utf8'), 'old rules\n');
});
