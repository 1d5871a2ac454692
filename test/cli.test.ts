import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run } from '../src/cli.js';
import { errorCodes } from '../src/common/errors.js';
import { ExitCode } from '../src/common/exit-codes.js';
import { captureIo } from './helpers/io.js';

test('--version prints only the version', async () => {
  const io = captureIo();
  const code = await run(['--version'], io);
  assert.equal(code, 0);
  assert.match(io.out(), /^\d+\.\d+\.\d+\n$/);
});

test('unknown flag exits 2 with usage', async () => {
  const io = captureIo();
  const code = await run(['--no-such-flag'], io);
  assert.equal(code, ExitCode.usage);
  assert.match(io.err(), /unknown option '--no-such-flag'/);
  assert.match(io.err(), /Usage: srekit/);
});

test('unknown command exits 2', async () => {
  const io = captureIo();
  const code = await run(['frobnicate'], io);
  assert.equal(code, ExitCode.usage);
  assert.match(io.err(), /unknown command 'frobnicate'/);
});

test('help lists the exit status', async () => {
  const io = captureIo();
  const code = await run(['--help'], io);
  assert.equal(code, 0);
  assert.match(io.out(), /Exit status:/);
});

test('exit-codes doc lists every error code', () => {
  const doc = readFileSync(new URL('../../docs/exit-codes.md', import.meta.url), 'utf8');
  for (const [code, { exit, summary }] of Object.entries(errorCodes)) {
    const row = `| ${code} | ${exit} | ${summary} |`;
    assert.ok(doc.includes(row), `docs/exit-codes.md lacks the row: ${row}`);
  }
});

test('exit-codes doc lists every exit code', () => {
  const doc = readFileSync(new URL('../../docs/exit-codes.md', import.meta.url), 'utf8');
  for (const value of Object.values(ExitCode)) {
    assert.match(doc, new RegExp(`^\\| ${value} \\|`, 'm'), `exit code ${value} is not documented`);
  }
});
