import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage, requestJson, startTestService, type TestService } from './helpers/service.js';

describe('fault admin API', () => {
  let service: TestService;
  let adminUrl: string;

  before(async () => {
    service = await startTestService({ faults: true, adminPort: 0 });
    adminUrl = service.adminUrl ?? assert.fail('adminUrl is missing with faults enabled');
  });

  afterEach(async () => {
    await requestJson(`${adminUrl}/faults`, { method: 'DELETE' });
  });

  after(async () => {
    await service.stop();
  });

  test('admin API listens on loopback', () => {
    assert.match(adminUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('GET returns no faults at start', async () => {
    const response = await requestJson(`${adminUrl}/faults`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { latencyMs: 0, errorRate: 0, databaseDown: false });
  });

  test('PUT merges a subset', async () => {
    const first = await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { latencyMs: 5 } });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { latencyMs: 5, errorRate: 0, databaseDown: false });

    const second = await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { errorRate: 0.25 } });
    assert.deepEqual(second.body, { latencyMs: 5, errorRate: 0.25, databaseDown: false });

    const read = await requestJson(`${adminUrl}/faults`);
    assert.deepEqual(read.body, { latencyMs: 5, errorRate: 0.25, databaseDown: false });
  });

  test('DELETE clears every fault', async () => {
    await requestJson(`${adminUrl}/faults`, {
      method: 'PUT',
      body: { latencyMs: 5, errorRate: 0.5, databaseDown: true },
    });
    const cleared = await requestJson(`${adminUrl}/faults`, { method: 'DELETE' });
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body, { latencyMs: 0, errorRate: 0, databaseDown: false });
    const read = await requestJson(`${adminUrl}/faults`);
    assert.deepEqual(read.body, { latencyMs: 0, errorRate: 0, databaseDown: false });
  });

  const invalidPatches: { body: string; message: string }[] = [
    { body: '{"latencyMs": -1}', message: 'latencyMs must be an integer from 0 to 60000' },
    { body: '{"latencyMs": "100"}', message: 'latencyMs must be an integer from 0 to 60000' },
    { body: '{"latencyMs": 0.5}', message: 'latencyMs must be an integer from 0 to 60000' },
    { body: '{"latencyMs": 1e308}', message: 'latencyMs must be an integer from 0 to 60000' },
    { body: '{"latencyMs": 60001}', message: 'latencyMs must be an integer from 0 to 60000' },
    { body: '{"errorRate": 1.5}', message: 'errorRate must be a number from 0 to 1' },
    { body: '{"errorRate": -0.1}', message: 'errorRate must be a number from 0 to 1' },
    { body: '{"errorRate": null}', message: 'errorRate must be a number from 0 to 1' },
    { body: '{"databaseDown": "yes"}', message: 'databaseDown must be true or false' },
    { body: '{"latency": 100}', message: 'latency is not a known field' },
    { body: '[1]', message: 'request body must be a JSON object' },
    { body: '{"errorRate": 0.5', message: 'request body is not valid JSON: ' },
  ];
  for (const { body, message } of invalidPatches) {
    test(`PUT rejects ${body}`, async () => {
      await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { latencyMs: 7 } });
      const response = await requestJson(`${adminUrl}/faults`, { method: 'PUT', rawBody: body });
      assert.equal(response.status, 400);
      assert.ok(errorMessage(response).startsWith(message), `got "${errorMessage(response)}"`);
      const read = await requestJson(`${adminUrl}/faults`);
      assert.deepEqual(read.body, { latencyMs: 7, errorRate: 0, databaseDown: false });
    });
  }

  test('PUT rejects text/plain with 415', async () => {
    const response = await requestJson(`${adminUrl}/faults`, {
      method: 'PUT',
      rawBody: '{"errorRate": 0.5}',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(response.status, 415);
    assert.match(errorMessage(response), /application\/json/);
  });

  test('POST /faults gets 405', async () => {
    const response = await requestJson(`${adminUrl}/faults`, { method: 'POST', body: {} });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD, PUT, DELETE');
    assert.match(errorMessage(response), /^method POST is not allowed for \/faults/);
  });

  test('unknown admin route gets 404', async () => {
    const response = await requestJson(`${adminUrl}/no-such-route`, { method: 'POST' });
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, { error: 'no route for POST /no-such-route' });
  });

  test('error rate fails its share of requests', async () => {
    await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { errorRate: 0.3 } });
    const total = 500;
    let failed = 0;
    for (let index = 0; index < total; index += 1) {
      const response = await requestJson(`${service.url}/orders?limit=1`);
      if (response.status === 500) {
        assert.deepEqual(response.body, { error: 'injected fault' });
        failed += 1;
      } else {
        assert.equal(response.status, 200);
      }
    }
    // With p = 0.3 and n = 500 the standard deviation of the share is about
    // 0.02, so ±0.1 is five deviations wide.
    const share = failed / total;
    assert.ok(share > 0.2, `share of injected errors ${share} is below 0.2`);
    assert.ok(share < 0.4, `share of injected errors ${share} is above 0.4`);
  });

  test('injected 5xx are logged at error', async () => {
    await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { errorRate: 1 } });
    await requestJson(`${service.url}/orders`);
    const failures = service.logs().filter((record) => record.msg === 'request failed');
    assert.ok(failures.length > 0, 'no "request failed" records');
    for (const record of failures) assert.equal(record.level, 50);
  });

  test('faults leave probes and metrics alone', async () => {
    await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { errorRate: 1, latencyMs: 400 } });
    const started = performance.now();
    const health = await requestJson(`${service.url}/healthz`);
    const ready = await requestJson(`${service.url}/readyz`);
    const metrics = await fetch(`${service.url}/metrics`);
    const elapsed = performance.now() - started;
    assert.equal(health.status, 200);
    assert.equal(ready.status, 200);
    assert.equal(metrics.status, 200);
    assert.ok(elapsed < 400, `probes took ${elapsed} ms`);
  });

  test('latency is added to orders requests', async () => {
    await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { latencyMs: 300 } });
    const started = performance.now();
    const response = await requestJson(`${service.url}/orders`);
    const elapsed = performance.now() - started;
    assert.equal(response.status, 200);
    assert.ok(elapsed >= 295, `request took ${elapsed} ms`);
    assert.ok(elapsed < 2000, `request took ${elapsed} ms`);
  });

  test('database down fails orders and readiness', async () => {
    await requestJson(`${adminUrl}/faults`, { method: 'PUT', body: { databaseDown: true } });

    const ready = await requestJson(`${service.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, {
      status: 'unavailable',
      error: 'the database is down (injected fault databaseDown)',
    });
    const listing = await requestJson(`${service.url}/orders`);
    assert.equal(listing.status, 503);
    assert.equal(errorMessage(listing), 'database unavailable');
    const creation = await requestJson(`${service.url}/orders`, {
      method: 'POST',
      body: { customer: 'acme', items: [{ sku: 'A', quantity: 1 }] },
    });
    assert.equal(creation.status, 503);
    const health = await requestJson(`${service.url}/healthz`);
    assert.equal(health.status, 200);

    await requestJson(`${adminUrl}/faults`, { method: 'DELETE' });
    const recovered = await requestJson(`${service.url}/readyz`);
    assert.equal(recovered.status, 200);
  });
});

function listeningServers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPServerWrap').length;
}

test('no admin listener without faults', async () => {
  const before = listeningServers();
  const service = await startTestService();
  try {
    assert.equal(service.adminUrl, undefined);
    assert.equal(listeningServers() - before, 1);
  } finally {
    await service.stop();
  }
});

test('faults add exactly one admin listener', async () => {
  const before = listeningServers();
  const service = await startTestService({ faults: true, adminPort: 0 });
  try {
    assert.equal(listeningServers() - before, 2);
  } finally {
    await service.stop();
  }
});
