import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import { encodeHeader, headerSize, tagSize, type ArtifactHeader } from './format.js';
import { DamagedArtifactError, DecryptStream, EncryptStream } from './segments.js';

const key = randomBytes(32);
const segmentSize = 64;
const header = encodeHeader({
  compression: 'none', frameSize: 0, keySource: 'key-file', segmentSize, hkdfSalt: randomBytes(32),
  scrypt: { logN: 0, r: 0, p: 0, salt: Buffer.alloc(16) }, keyCheck: randomBytes(32),
} satisfies ArtifactHeader);

/** Encrypts `plaintext`, fed in chunks of `chunkSize` bytes. */
async function encrypt(plaintext: Buffer, chunkSize = 7): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < plaintext.length; offset += chunkSize) {
    chunks.push(plaintext.subarray(offset, offset + chunkSize));
  }
  return buffer(Readable.from(chunks).pipe(new EncryptStream(key, header, segmentSize)));
}

function decrypt(artifact: Buffer): Promise<Buffer> {
  return buffer(Readable.from([artifact]).pipe(new DecryptStream(key, header, segmentSize)));
}

function records(artifact: Buffer): Buffer[] {
  const body = artifact.subarray(headerSize);
  const result: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += segmentSize + tagSize) {
    result.push(body.subarray(offset, offset + segmentSize + tagSize));
  }
  return result;
}

for (const length of [0, 1, segmentSize - 1, segmentSize, segmentSize + 1, 3 * segmentSize, 1000]) {
  test(`segments round-trip ${length} bytes`, async () => {
    const plaintext = randomBytes(length);
    const artifact = await encrypt(plaintext);
    const segments = Math.max(1, Math.ceil(length / segmentSize));
    assert.equal(artifact.length, headerSize + length + segments * tagSize);
    assert.deepEqual(await decrypt(artifact), plaintext);
  });
}

test('segments detect reordering, duplication and truncation', async () => {
  const artifact = await encrypt(randomBytes(3 * segmentSize + 10));
  const [first, second, third, last] = records(artifact);
  assert.ok(first !== undefined);
  assert.ok(second !== undefined);
  assert.ok(third !== undefined);
  assert.ok(last !== undefined);
  const head = artifact.subarray(0, headerSize);
  const variants: Record<string, Buffer> = {
    swapped: Buffer.concat([head, second, first, third, last]),
    duplicated: Buffer.concat([head, first, first, second, third, last]),
    'cut at a segment boundary': Buffer.concat([head, first, second, third]),
    'cut inside a segment': artifact.subarray(0, artifact.length - 5),
    'only the header': head,
    'extra segment after the last': Buffer.concat([artifact, last]),
  };
  for (const [name, bytes] of Object.entries(variants)) {
    await assert.rejects(decrypt(bytes), DamagedArtifactError, name);
  }
});

test('segments reject a changed header', async () => {
  const artifact = await encrypt(randomBytes(100));
  artifact[10] = (artifact[10] ?? 0) ^ 1;
  await assert.rejects(decrypt(artifact), /header changed/);
});
