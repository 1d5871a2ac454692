import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, parseRetryAfter, pause } from './notify-timing.js';

const backoff = { initialDelayMs: 1000, maxDelayMs: 8000 };

test('backoff doubles up to the maximum', () => {
  const highest = () => 1;
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, backoff, highest)),
    [1000, 2000, 4000, 8000, 8000, 8000]);
});

test('backoff jitter keeps at least half', () => {
  const lowest = () => 0;
  assert.equal(backoffDelay(0, backoff, lowest), 500);
  assert.equal(backoffDelay(5, backoff, lowest), 4000);
  assert.equal(backoffDelay(1, backoff, () => 0.5), 1500);
});

test('Retry-After accepts seconds and HTTP dates', () => {
  const now = Date.parse('2026-12-04T20:00:00.000Z');
  assert.equal(parseRetryAfter('30', now), 30_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Fri, 04 Dec 2026 20:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Fri, 04 Dec 2026 19:00:00 GMT', now), 0);
});

test('Retry-After that is missing or invalid is ignored', () => {
  assert.equal(parseRetryAfter(null, 0), undefined);
  assert.equal(parseRetryAfter('soon', 0), undefined);
  assert.equal(parseRetryAfter('-5', 0), undefined);
});

test('pause ends early on abort', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const waiting = pause(10_000, controller.signal);
  controller.abort();

  assert.equal(await waiting, false);
  assert.ok(Date.now() - started < 1000);
  assert.equal(await pause(1, controller.signal), false);
  assert.equal(await pause(1, new AbortController().signal), true);
});
