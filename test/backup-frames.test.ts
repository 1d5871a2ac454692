import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { extract, pack, type Headers } from 'tar-stream';
import { decompress as decompressWhole, CompressStream } from 'zstd-napi';
import { TarWalker } from '../src/backup/tar-walker.js';
import { TarWriter } from '../src/backup/tar-writer.js';
import { zstdFrames, type FrameOptions } from '../src/backup/zstd-frames.js';
import {
  assertSameTree, backupCli, newRepository, tempDir, writeSampleTree,
} from './fixtures/backup/helpers.js';

const frameSize = 64 * 1024;

/** Returns `size` bytes that are half log text and half random, so frames differ in ratio. */
function mixedBytes(size: number): Buffer {
  const text = Buffer.from('2026-12-04T10:00:00Z INFO GET /v1/orders 200 12ms trace=ab12\n'
    .repeat(Math.ceil(size / 2 / 60)));
  return Buffer.concat([text.subarray(0, size / 2), randomBytes(size / 2)]);
}

/** Feeds `input` in chunks of `chunkSize` through a frame stage and returns its output. */
async function runStage(
  mode: 'compress' | 'decompress', input: Buffer, chunkSize: number, options: FrameOptions,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < input.length; offset += chunkSize) {
    chunks.push(Buffer.from(input.subarray(offset, offset + chunkSize)));
  }
  const output = new PassThrough();
  const [collected] = await Promise.all([
    buffer(output), pipeline(Readable.from(chunks), zstdFrames(mode, options), output),
  ]);
  return collected;
}

test('frames round trip and form one zstd stream', async () => {
  const input = mixedBytes(1_000_000);
  for (const chunkSize of [1000, frameSize, 300_000]) {
    const compressed = await runStage('compress', input, chunkSize, { frameSize, level: 1 });
    // Any zstd decoder reads the frames one after another as a single stream.
    assert.ok(decompressWhole(compressed).equals(input), `chunks of ${chunkSize}`);

    let digest: { sha256: string; size: number } | undefined;
    const plain = await runStage('decompress', compressed, 7777, {
      frameSize, onPlainDigest: (sha256, size) => { digest = { sha256, size }; },
    });
    assert.ok(plain.equals(input), `chunks of ${chunkSize}`);
    assert.deepEqual(digest, {
      sha256: createHash('sha256').update(input).digest('hex'), size: input.length,
    });
  }
});

test('frame decompression rejects truncated, oversized and unsized frames', async () => {
  const input = mixedBytes(300_000);
  const compressed = await runStage('compress', input, 50_000, { frameSize, level: 1 });

  await assert.rejects(runStage('decompress', compressed.subarray(0, compressed.length - 10),
    4096, { frameSize }), /the zstd stream ends inside a frame/);
  // Frames that contain more than the frame size are rejected by the worker when
  // they compress well, and by the splitter when they cannot fit compressed.
  const text = Buffer.from('line of log text\n'.repeat(20_000));
  const textFrames = await runStage('compress', text, 50_000, { frameSize, level: 1 });
  await assert.rejects(runStage('decompress', textFrames, 4096, { frameSize: frameSize / 2 }),
    /contains 65536 bytes, more than the frame size 32768/);
  await assert.rejects(runStage('decompress', compressed, 4096, { frameSize: frameSize / 2 }),
    /contains 65536 bytes, more than the frame size|larger than 33968 bytes/);

  // A streamed frame does not record its size, so its memory could not be bounded.
  const unsized = await buffer(Readable.from([input]).pipe(new CompressStream()));
  await assert.rejects(runStage('decompress', unsized, 4096, { frameSize }),
    /does not record its size|larger than/);

  const garbage = randomBytes(200_000);
  await assert.rejects(runStage('decompress', garbage, 4096, { frameSize }), /zstd/);
});

/** Returns a tar stream with pax long names, a symlink, a directory and an empty file. */
async function sampleTar(): Promise<Buffer> {
  const archive = pack();
  const collected = buffer(archive);
  const longName = `${'deep/'.repeat(30)}file-é.txt`;
  archive.entry({ name: 'dir/', type: 'directory', mode: 0o755 });
  archive.entry({ name: 'dir/a.txt', size: 5 }, Buffer.from('hello'));
  archive.entry({ name: longName, size: 70_000 }, randomBytes(70_000));
  archive.entry({ name: 'empty', size: 0 }, Buffer.alloc(0));
  archive.entry({ name: 'link', type: 'symlink', linkname: longName });
  archive.finalize();
  return collected;
}

async function extractedHeaders(tar: Buffer): Promise<Headers[]> {
  return (await extractedEntries(tar)).map((entry) => entry.header);
}

/** Returns each entry's header and the SHA-256 of its content, as tar-stream reads them. */
async function extractedEntries(tar: Buffer): Promise<{ header: Headers; sha256: string }[]> {
  const entries: { header: Headers; sha256: string }[] = [];
  const extractor = extract();
  Readable.from([tar]).pipe(extractor);
  for await (const entry of extractor) {
    const hash = createHash('sha256');
    for await (const chunk of entry) hash.update(chunk as Buffer);
    entries.push({ header: entry.header, sha256: hash.digest('hex') });
  }
  return entries;
}

test('tar walker reads the same headers as tar-stream, in any pieces', async () => {
  const tar = await sampleTar();
  const expected = await extractedHeaders(tar);
  for (const piece of [1, 511, 512, 4096, tar.length]) {
    const walker = new TarWalker();
    const headers: Headers[] = [];
    for (let offset = 0; offset < tar.length; offset += piece) {
      headers.push(...walker.push(tar.subarray(offset, offset + piece)));
    }
    walker.end();
    assert.deepEqual(headers, expected, `pieces of ${piece}`);
  }
  const cut = new TarWalker();
  cut.push(tar.subarray(0, 3000));
  assert.throws(() => cut.end(), /ends inside an entry/);
});

test('tar walker hashes the content of every entry but directories', async () => {
  const tar = await sampleTar();
  const expected = (await extractedEntries(tar))
    .filter((entry) => entry.header.type !== 'directory').map((entry) => entry.sha256);
  for (const piece of [1, 700, tar.length]) {
    const walker = new TarWalker(true);
    const digests: string[] = [];
    for (let offset = 0; offset < tar.length; offset += piece) {
      walker.push(tar.subarray(offset, offset + piece));
      digests.push(...walker.takeDigests());
    }
    walker.end();
    assert.deepEqual(digests, expected, `pieces of ${piece}`);
  }
});

test('full verify hashes unencrypted files', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source);
  const cases = [['--compression', 'zstd'], ['--compression', 'gzip'], ['--key-file', keyFile]];
  for (const args of cases) {
    const created = await backupCli(['create', '--source', source, '--repo', repo, ...args,
      '--json']);
    assert.equal(created.code, 0, created.err);
    const id = (JSON.parse(created.out.trim()) as { id: string }).id;
    const manifestPath = join(repo, 'snapshots', `${id}.json`);
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      files?: { type: string; sha256?: string }[];
    };
    if (args[0] === '--key-file') {
      // An encrypted backup's list is sealed, so it cannot be edited unnoticed.
      assert.equal(manifest.files, undefined);
      continue;
    }

    const file = manifest.files?.find((entry) => entry.type === 'file');
    assert.ok(file !== undefined);
    file.sha256 = '0'.repeat(64);
    await writeFile(manifestPath, JSON.stringify(manifest));
    const verified = await backupCli(['verify', '--repo', repo, '--id', id, '--full']);
    assert.equal(verified.code, 1, `${args.join(' ')}: ${verified.err}`);
    assert.match(verified.err, /does not match the SHA-256 in the manifest \[BACKUP_DAMAGED\]/);
  }
});

test('frame decompression hands entry headers aside', async () => {
  const tar = await sampleTar();
  const compressed = await runStage('compress', tar, 10_000, { frameSize, level: 1 });
  const names: string[] = [];
  const plain = await runStage('decompress', compressed, 5000, {
    frameSize,
    onEntries: (entries) => names.push(...entries.map((entry) => entry.name)),
    discardOutput: true,
  });
  assert.equal(plain.length, 0);
  assert.deepEqual(names, (await extractedHeaders(tar)).map((header) => header.name));
});

test('tar writer hashes the stream and each file on its worker', async () => {
  const output = new PassThrough();
  const collected = buffer(output);
  const writer = new TarWriter(output, 4096);
  const contents = [randomBytes(10_000), Buffer.alloc(0), Buffer.from('short')];
  const digests: string[] = [];
  for (const [index, content] of contents.entries()) {
    await writer.header({ name: `f${index}`, type: 'file', size: content.length, pax: {} });
    writer.startFile((sha256) => { digests[index] = sha256; });
    await writer.append(content);
    writer.endFile();
    await writer.pad(content.length);
  }
  await writer.end();
  const tar = await collected;
  assert.equal(writer.sha256, createHash('sha256').update(tar).digest('hex'));
  assert.deepEqual(digests,
    contents.map((content) => createHash('sha256').update(content).digest('hex')));
});

test('backups of many frames round trip and verify', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source);
  // Six megabytes of mixed data make several frames, some compressed and some stored.
  await writeFile(join(source, 'mixed.bin'), mixedBytes(6 * 1024 * 1024));

  for (const keyArgs of [['--key-file', keyFile], []]) {
    const created = await backupCli(['create', '--source', source, '--repo', repo,
      ...keyArgs, '--json']);
    assert.equal(created.code, 0, created.err);
    const id = (JSON.parse(created.out.trim()) as { id: string }).id;
    const verified = await backupCli(['verify', '--repo', repo, '--id', id, '--full',
      ...keyArgs]);
    assert.equal(verified.code, 0, verified.err);
    const target = join(dir, `restored-${keyArgs.length}`);
    const restored = await backupCli(['restore', '--repo', repo, id, '--to', target,
      ...keyArgs]);
    assert.equal(restored.code, 0, restored.err);
    await assertSameTree(source, target);
  }
});

// Tests run from dist/test, and the fixture is not compiled, so it is read from the source tree.
const fixture = fileURLToPath(new URL('../../test/fixtures/backup/format-v1/', import.meta.url));

test('backups of format version 1 still verify and restore', async (t) => {
  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  await cp(join(fixture, 'repo'), repo, { recursive: true });
  const keyFile = join(fixture, 'key');
  const expected = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8')) as {
    files: Record<string, string>;
  };
  const ids = (await readdir(join(repo, 'snapshots'))).map((name) => name.replace('.json', ''));
  assert.equal(ids.length, 3);
  for (const id of ids) {
    const verified = await backupCli(['verify', '--repo', repo, '--id', id, '--full',
      '--key-file', keyFile]);
    assert.equal(verified.code, 0, verified.err);
    const target = join(dir, id);
    const restored = await backupCli(['restore', '--repo', repo, id, '--to', target,
      '--key-file', keyFile]);
    assert.equal(restored.code, 0, restored.err);
    for (const [path, sha256] of Object.entries(expected.files)) {
      const content = await readFile(join(target, path));
      assert.equal(createHash('sha256').update(content).digest('hex'), sha256, `${id} ${path}`);
    }
  }
});
