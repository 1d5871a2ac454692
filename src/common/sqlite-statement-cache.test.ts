import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { cacheStatements } from './sqlite-statement-cache.js';

test('same SQL reuses its statement', () => {
  const database = cacheStatements(new BetterSqlite3(':memory:'));
  const first = database.prepare('select ? as value');
  const second = database.prepare('select ? as value');
  assert.equal(second, first);
  assert.deepEqual(second.all([7]), [{ value: 7 }]);
  database.close();
});

test('oldest statement is evicted at the limit', () => {
  const database = cacheStatements(new BetterSqlite3(':memory:'), 2);
  const one = database.prepare('select 1');
  database.prepare('select 2');
  database.prepare('select 3');
  assert.notEqual(database.prepare('select 1'), one);
  database.close();
});
