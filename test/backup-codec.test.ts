import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { pack as createPack, type Headers } from 'tar-stream';
import { compress } from 'zstd-napi';
import { TarWriter, type PaxHeaders } from '../src/backup/tar-writer.js';
import { zstdInWorker } from '../src/backup/zstd-codec.js';

/** Chunks that each own their ArrayBuffer, as the stage requires. */
function ownedChunks(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size) {
    chunks.push(Buffer.from(data.subarray(offset, offset + size)));
  }
  return chunks;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

test('zstd worker reads one frame and a sequence of frames', async () => {
  const text = Buffer.from('GET /orders 200 12ms\n'.repeat(200_000));
  const data = Buffer.concat([text, randomBytes(3 * 1024 * 1024), text]);
  const oneFrame = compress(data);
  const frames = Buffer.concat([0, 1, 2, 3].map((part) => compress(
    data.subarray((part * data.length) / 4, ((part + 1) * data.length) / 4))));
  for (const compressed of [oneFrame, frames]) {
    let plainDigest = '';
    const restored = await buffer(Readable.from(ownedChunks(compressed, 64 * 1024))
      .pipe(zstdInWorker({ onPlainDigest: (digest) => { plainDigest = digest; } })));
    assert.ok(restored.equals(data));
    assert.equal(plainDigest, sha256(data));
  }
});

test('zstd worker hands input chunks back', async () => {
  const recycled: Buffer[] = [];
  const chunks = ownedChunks(compress(randomBytes(4 * 65536)), 65536);
  // The chunks move to the worker, which leaves them empty here.
  const lengths = chunks.map((chunk) => chunk.length);
  await buffer(Readable.from(chunks).pipe(zstdInWorker({
    recycle: (chunk) => recycled.push(chunk),
  })));
  assert.deepEqual(recycled.map((chunk) => chunk.length), lengths);
});

test('zstd worker rejects a damaged stream', async () => {
  const garbage = ownedChunks(randomBytes(256 * 1024), 65536);
  await assert.rejects(buffer(Readable.from(garbage).pipe(zstdInWorker())), /zstd decompress/);
});

test('zstd worker rejects a truncated stream', async () => {
  const compressed = compress(randomBytes(300_000));
  const cut = Buffer.from(compressed.subarray(0, compressed.length - 100));
  await assert.rejects(buffer(Readable.from([cut]).pipe(zstdInWorker())), /ends inside a frame/);
});

test('zstd worker stops when the pipeline fails', async () => {
  const stage = zstdInWorker();
  const closed = new Promise<void>((resolve) => stage.once('close', () => resolve()));
  const consumer = new Writable({
    write(_chunk, _encoding, done) {
      done(new Error('consumer failed'));
    },
  });
  const input = Readable.from(ownedChunks(compress(randomBytes(8 * 1024 * 1024)), 1024 * 1024));
  await assert.rejects(pipeline(input, stage, consumer), /consumer failed/);
  await closed;
  assert.equal(stage.destroyed, true);
});

/** Returns what a tar-stream pack writes for `entries`. */
async function packBytes(entries: [Headers, Buffer?][]): Promise<Buffer> {
  const pack = createPack();
  const collected = buffer(pack);
  for (const [header, content] of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ ...header }, content ?? Buffer.alloc(0),
        (error) => (error ? reject(error) : resolve()));
    });
  }
  pack.finalize();
  return collected;
}

/** Returns what a TarWriter with small chunks writes for `entries`. */
async function writerBytes(entries: [PaxHeaders, Buffer?][]): Promise<Buffer> {
  const output = new PassThrough();
  const collected = buffer(output);
  const writer = new TarWriter(output, 700);
  for (const [header, content] of entries) {
    await writer.header(header);
    if (content !== undefined) {
      await writer.append(content);
      await writer.pad(content.length);
    }
  }
  await writer.end();
  return collected;
}

test('tar writer matches a tar-stream pack', async () => {
  const mtime = new Date(1_600_000_000_250);
  const pax = { mtime: '1600000000.250000000' };
  const longName = `${'d'.repeat(120)}/${'é'.repeat(40)}.txt`;
  const content = randomBytes(1500);
  const entries: [PaxHeaders, Buffer?][] = [
    [{ name: 'dir/', type: 'directory', mode: 0o755, uid: 1000, gid: 1000, mtime, pax }],
    [{ name: 'dir/file', type: 'file', mode: 0o640, size: 1500, mtime, pax }, content],
    [{ name: longName, type: 'file', mode: 0o644, size: 3, mtime, pax }, Buffer.from('abc')],
    [{ name: 'link', type: 'symlink', linkname: 'dir/file', mode: 0o777, mtime, pax }],
    [{ name: 'secret', type: 'file', mode: 0, size: 0, mtime,
      pax: { ...pax, 'SREKIT.mode': '0' } }, Buffer.alloc(0)],
  ];
  const expected = await packBytes(entries);
  const actual = await writerBytes(entries);
  assert.equal(actual.length, expected.length);
  assert.ok(actual.equals(expected), 'the bytes differ');
});
