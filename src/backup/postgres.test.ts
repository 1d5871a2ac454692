import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SrekitError } from '../common/errors.js';
import { isPostgresUrl, parsePostgresUrl, redactPassword } from './postgres.js';

test('PostgreSQL URLs are recognized', () => {
  assert.equal(isPostgresUrl('postgres://app@db/orders'), true);
  assert.equal(isPostgresUrl('postgresql://app@db/orders'), true);
  assert.equal(isPostgresUrl('sqlite:/var/lib/orders.db'), false);
  assert.equal(isPostgresUrl('/srv/postgres://x'), false);
});

test('passwords are masked', () => {
  const cases: [string, string][] = [
    ['postgres://app:s3cret@db:5432/orders', 'postgres://app:***@db:5432/orders'],
    ['postgres://app@db/orders', 'postgres://app@db/orders'],
    ['failed for postgres://app:p%40ss@db/x and postgres://b:c@d/e',
      'failed for postgres://app:***@db/x and postgres://b:***@d/e'],
  ];
  for (const [input, expected] of cases) assert.equal(redactPassword(input), expected, input);
  assert.equal(parsePostgresUrl('postgres://app:s3cret@db/orders').redacted,
    'postgres://app:***@db/orders');
});

test('PostgreSQL URLs without a database are rejected', () => {
  for (const url of ['postgres://app:s3cret@db', 'postgres://app:s3cret@db/']) {
    assert.throws(() => parsePostgresUrl(url), (error: unknown) => error instanceof SrekitError
      && error.code === 'USAGE' && /names no database/.test(error.message)
      && !error.message.includes('s3cret'), url);
  }
});
