import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SrekitError } from '../common/errors.js';
import { parseS3Location } from './s3-store.js';

test('S3 locations split into bucket and prefix', () => {
  const cases: [string, string, string][] = [
    ['s3://backups', 'backups', ''],
    ['s3://backups/', 'backups', ''],
    ['s3://backups/app', 'backups', 'app/'],
    ['s3://backups/app/db//', 'backups', 'app/db/'],
    ['s3://my.bucket-1/a/b', 'my.bucket-1', 'a/b/'],
  ];
  for (const [url, bucket, prefix] of cases) {
    assert.deepEqual(parseS3Location(url), { bucket, prefix }, url);
  }
});

test('invalid S3 locations are rejected', () => {
  for (const url of ['s3://', 's3://ab', 's3://Upper/x', 's3://under_score', 's3:///x']) {
    assert.throws(() => parseS3Location(url), (error: unknown) => error instanceof SrekitError
      && error.code === 'USAGE' && error.message.includes(url), url);
  }
});

