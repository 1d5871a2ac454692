import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { test, type TestContext } from 'node:test';
import { DirectoryStore } from './directory-store.js';

async function newStore(t: TestContext) {
  const root = await mkdtemp(join(tmpdir(), 'srekit-store-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  return { root, store: new DirectoryStore(root) };
}

test('directory store puts, reads ranges and lists', async (t) => {
  const { store } = await newStore(t);
  assert.equal(await store.put('data/one.bin', Buffer.from('0123456789')), 10);
  assert.equal((await buffer(await store.get('data/one.bin', { start: 2, end: 4 }))).toString(), '234');
  assert.deepEqual(await store.list('data/'), [{ key: 'data/one.bin', size: 10 }]);
  assert.deepEqual(await store.stat('data/missing'), undefined);
  await store.delete('data/one.bin');
  assert.deepEqual(await store.list('data/'), []);
});

test('directory store leaves nothing after a failed put', async (t) => {
  const { root, store } = await newStore(t);
  const failing = new Readable({
    read() {
      this.push(Buffer.from('partial'));
      this.destroy(new Error('source failed'));
    },
  });
  await assert.rejects(store.put('data/x.bin', failing), /source failed/);
  assert.deepEqual(await readdir(join(root, 'data')), []);
  assert.deepEqual(await store.listPartial('data/'), []);
});

test('directory store reports a partial upload by its target key', async (t) => {
  const { root, store } = await newStore(t);
  await store.put('data/keep.bin', Buffer.from('x'));
  await writeFile(join(root, 'data', '.x.bin.0011aabb.partial'), 'half');
  assert.deepEqual(await store.list('data/'), [{ key: 'data/keep.bin', size: 1 }]);
  const partial = await store.listPartial('data/');
  assert.deepEqual(partial, [{ key: 'data/x.bin', handle: 'data/.x.bin.0011aabb.partial' }]);
  await store.removePartial(partial[0] ?? { key: '', handle: '' });
  assert.deepEqual(await readdir(join(root, 'data')), ['keep.bin']);
});

test('directory store rejects keys outside its root', async (t) => {
  const { store } = await newStore(t);
  await assert.rejects(store.put('../escape', Buffer.from('x')), /points outside/);
});
