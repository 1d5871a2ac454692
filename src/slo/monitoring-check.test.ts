import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli.js';
import { captureIo } from '../../test/helpers/io.js';
import { findPromtoolTests } from './monitoring-promtool-tests.js';
import { parseServerUrl } from './monitoring-reload.js';

test('server URLs accept http and https only', () => {
  const cases: Array<[string, string | undefined]> = [
    ['http://127.0.0.1:9090', 'http://127.0.0.1:9090/'],
    ['https://prometheus.example.com', 'https://prometheus.example.com/'],
    ['http://127.0.0.1:9090/prometheus', 'http://127.0.0.1:9090/prometheus/'],
    ['http://127.0.0.1:9093/', 'http://127.0.0.1:9093/'],
    ['ftp://127.0.0.1:9090', undefined],
    ['127.0.0.1:9090', undefined],
    ['http://127.0.0.1:9090/?x=1', undefined],
    ['http://127.0.0.1:9090/#top', undefined],
    ['', undefined],
  ];
  for (const [value, expected] of cases) {
    assert.equal(parseServerUrl(value), expected, `parseServerUrl(${JSON.stringify(value)})`);
  }
});

test('promtool tests are found below the tests directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-promtool-tests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'gameday', 'rules'), { recursive: true });
  await mkdir(join(dir, 'staging'));
  for (const file of ['alerts.test.yml', 'slos.test.yaml', 'notes.yml', 'gameday/alerts.test.yml',
    'gameday/rules/alerts.yml', 'staging/extra.test.yml']) {
    await writeFile(join(dir, file), 'tests: []\n');
  }

  const found = await findPromtoolTests(dir);
  assert.deepEqual(found.map((file) => [file.path, file.profile?.name]), [
    [join(dir, 'alerts.test.yml'), undefined],
    [join(dir, 'gameday', 'alerts.test.yml'), 'gameday'],
    [join(dir, 'slos.test.yaml'), undefined],
    [join(dir, 'staging', 'extra.test.yml'), undefined],
  ]);
});

test('promtool tests of a missing directory are none', async () => {
  assert.deepEqual(await findPromtoolTests(join(tmpdir(), 'srekit-no-such-directory')), []);
});

test('check names a path of the wrong kind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-check-kind-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'prometheus.yml');
  await writeFile(file, 'global: {}\n');
  const cases = [
    {
      args: ['--dir', file],
      error: `error: invalid --dir ${file}: it is a file, not a directory [INVALID_INPUT]\n`,
    },
    {
      args: ['--prometheus-config', dir],
      error: `error: invalid --prometheus-config ${dir}: it is a directory, not a file `
        + '[INVALID_INPUT]\n',
    },
  ];
  for (const { args, error } of cases) {
    // The command finds promtool and amtool on PATH before it looks at the paths.
    const io = captureIo({ PATH: process.env.PATH });
    assert.equal(await run(['monitoring', 'check', ...args], io), 2, args.join(' '));
    assert.ok(io.err().startsWith(error), io.err());
  }
});
