import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkEntryName, checkSymlinkTarget, UnsafeEntryError } from './entry-rules.js';

test('entry names normalize to relative paths', () => {
  const cases: [string, string][] = [
    ['a/b.txt', 'a/b.txt'],
    ['./a//b/', 'a/b'],
    ['dir/', 'dir'],
    ['a/./b', 'a/b'],
  ];
  for (const [name, expected] of cases) assert.equal(checkEntryName(name), expected, name);
});

test('entry names that escape are rejected', () => {
  const names = ['', '.', '/etc/passwd', '//etc/passwd', '../x', 'a/../../x', 'a/..', 'C:/x',
    'a\\..\\x', 'a\0b', `${'d/'.repeat(300)}f`, 'x'.repeat(5000)];
  for (const name of names) {
    assert.throws(() => checkEntryName(name), UnsafeEntryError, JSON.stringify(name));
  }
});

test('symlink targets must stay inside', () => {
  assert.doesNotThrow(() => checkSymlinkTarget('a/b/link', '../c'));
  assert.doesNotThrow(() => checkSymlinkTarget('link', 'a/../b'));
  for (const [path, target] of [['link', '..'], ['a/link', '../../x'], ['link', '/etc'],
    ['link', '']]) {
    assert.throws(() => checkSymlinkTarget(path ?? '', target ?? ''), UnsafeEntryError,
      `${path} -> ${target}`);
  }
});
