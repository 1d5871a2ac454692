import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  backupCli, newRepository, onlyArtifact, tempDir, type CliResult,
} from './fixtures/backup/helpers.js';

const headerSize = 128;
const recordSize = 1024 * 1024 + 16;

/** Backs up 2.5 MiB of random data, which makes three encrypted segments. */
async function encryptedBackup(dir: string) {
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(source);
  await writeFile(join(source, 'random.bin'), randomBytes(2.5 * 1024 * 1024));
  await writeFile(join(source, 'small.txt'), 'small\n');
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(created.code, 0, created.err);
  const artifact = await onlyArtifact(repo);
  return { repo, keyFile, artifact, original: await readFile(artifact) };
}

async function assertMissing(path: string): Promise<void> {
  await assert.rejects(access(path), { code: 'ENOENT' }, `${path} exists`);
}

function assertFailed(
  result: CliResult, code: number, pattern: RegExp, description: string,
): void {
  assert.equal(result.code, code, `${description}: exit ${result.code}, stderr ${result.err}`);
  assert.match(result.err, pattern, description);
}

test('flipped bytes fail verify and restore', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile, artifact, original } = await encryptedBackup(dir);
  const target = join(dir, 'target');
  const positions = new Set<number>([0, headerSize - 1, headerSize, original.length - 1]);
  while (positions.size < 100) positions.add(randomInt(original.length));

  for (const position of positions) {
    const damaged = Buffer.from(original);
    damaged[position] = (damaged[position] ?? 0) ^ (1 << randomInt(8));
    await writeFile(artifact, damaged);

    const verified = await backupCli(['verify', '--repo', repo, '--full', '--key-file', keyFile]);
    assertFailed(verified, 1, /BACKUP_DAMAGED/, `verify after flipping byte ${position}`);
    const restored = await backupCli(['restore', '--repo', repo, '--to', target,
      '--key-file', keyFile]);
    assertFailed(restored, 1, /BACKUP_DAMAGED/, `restore after flipping byte ${position}`);
    await assertMissing(target);
  }
  const leftovers = (await readdir(dir)).filter((name) => name.includes('.restore-'));
  assert.deepEqual(leftovers, []);
});

test('truncated artifact fails at any length', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile, artifact, original } = await encryptedBackup(dir);
  const target = join(dir, 'target');
  const lengths = [0, 64, headerSize, headerSize + recordSize, headerSize + 2 * recordSize,
    headerSize + recordSize + 1000, original.length - 1];
  for (const length of lengths) {
    await writeFile(artifact, original.subarray(0, length));
    for (const mode of ['--full', '--sample']) {
      const args = mode === '--sample' ? ['--sample', '100'] : ['--full'];
      const verified = await backupCli(['verify', '--repo', repo, ...args, '--key-file', keyFile]);
      assertFailed(verified, 1, /BACKUP_DAMAGED/, `verify ${mode} of ${length} bytes`);
    }
    const restored = await backupCli(['restore', '--repo', repo, '--to', target,
      '--key-file', keyFile]);
    assertFailed(restored, 1, /BACKUP_DAMAGED/, `restore of ${length} bytes`);
    await assertMissing(target);
  }
});

test('reordered or duplicated segments fail restore', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile, artifact, original } = await encryptedBackup(dir);
  const header = original.subarray(0, headerSize);
  const segment = (index: number) => original.subarray(headerSize + index * recordSize,
    headerSize + (index + 1) * recordSize);
  const last = original.subarray(headerSize + 2 * recordSize);
  const variants = {
    swapped: Buffer.concat([header, segment(1), segment(0), last]),
    duplicated: Buffer.concat([header, segment(0), segment(0), segment(1), last]),
    'last dropped': Buffer.concat([header, segment(0), segment(1)]),
    'middle dropped': Buffer.concat([header, segment(0), last]),
  };
  const target = join(dir, 'target');
  for (const [name, bytes] of Object.entries(variants)) {
    await writeFile(artifact, bytes);
    const restored = await backupCli(['restore', '--repo', repo, '--to', target,
      '--key-file', keyFile]);
    assertFailed(restored, 1, /BACKUP_DAMAGED/, `restore with segments ${name}`);
    await assertMissing(target);
    const verified = await backupCli(['verify', '--repo', repo, '--full', '--key-file', keyFile]);
    assertFailed(verified, 1, /failed authentication|does not match|bytes with SHA-256/,
      `verify with segments ${name}`);
  }
});

test('wrong or missing key exits 12', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await encryptedBackup(dir);
  const otherKey = join(dir, 'other-key');
  await writeFile(otherKey, randomBytes(32));
  const target = join(dir, 'target');
  const cases: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    ['another key file', ['--key-file', otherKey], {}, /is not the key of backup/],
    ['no key', [], {}, /is encrypted and no key was given/],
    ['a passphrase', ['--passphrase-env', 'PASS'], { PASS: 'secret' }, /not a passphrase/],
  ];
  for (const [name, args, env, pattern] of cases) {
    const restored = await backupCli(['restore', '--repo', repo, '--to', target, ...args], env);
    assertFailed(restored, 12, /BACKUP_WRONG_KEY/, `restore with ${name}`);
    assert.match(restored.err, pattern);
    await assertMissing(target);
    const verified = await backupCli(['verify', '--repo', repo, '--full', ...args], env);
    assertFailed(verified, 12, /BACKUP_WRONG_KEY/, `verify with ${name}`);
  }
  const quick = await backupCli(['verify', '--repo', repo]);
  assert.equal(quick.code, 0, `quick verify needs no key: ${quick.err}`);
  assert.ok((await readFile(keyFile)).length === 32);
});

test('wrong passphrase exits 12', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(source);
  await writeFile(join(source, 'file'), 'content');
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--passphrase-env', 'PASS'], { PASS: 'right' });
  assert.equal(created.code, 0, created.err);
  const restored = await backupCli(['restore', '--repo', repo, '--to', join(dir, 'target'),
    '--passphrase-env', 'PASS'], { PASS: 'wrong' });
  assertFailed(restored, 12, /BACKUP_WRONG_KEY/, 'restore with the wrong passphrase');
});

for (const compression of ['zstd', 'gzip', 'none']) {
  test(`flipped bytes fail unencrypted ${compression}`, async (t) => {
    const dir = await tempDir(t);
    const { repo } = await newRepository(dir);
    const source = join(dir, 'source');
    await mkdir(source);
    await writeFile(join(source, 'text.txt'), 'line of text\n'.repeat(20_000));
    await writeFile(join(source, 'random.bin'), randomBytes(100_000));
    const created = await backupCli(['create', '--source', source, '--repo', repo,
      '--compression', compression]);
    assert.equal(created.code, 0, created.err);
    const artifact = await onlyArtifact(repo);
    const original = await readFile(artifact);
    const target = join(dir, 'target');

    for (let round = 0; round < 30; round += 1) {
      const position = randomInt(original.length);
      const damaged = Buffer.from(original);
      damaged[position] = (damaged[position] ?? 0) ^ (1 << randomInt(8));
      await writeFile(artifact, damaged);
      const verified = await backupCli(['verify', '--repo', repo, '--full']);
      assertFailed(verified, 1, /BACKUP_DAMAGED/, `verify after flipping byte ${position}`);
      const restored = await backupCli(['restore', '--repo', repo, '--to', target]);
      assertFailed(restored, 1, /BACKUP_DAMAGED/, `restore after flipping byte ${position}`);
      await assertMissing(target);
    }
  });
}
