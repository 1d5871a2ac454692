import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { findSamples, scrape } from './helpers/metrics.js';
import { requestJson, startTestService, type TestService } from './helpers/service.js';

describe('service metrics', () => {
  let service: TestService;

  before(async () => {
    service = await startTestService();
  });

  after(async () => {
    await service.stop();
  });

  test('route label is the template', async () => {
    const created = await requestJson(`${service.url}/orders`, {
      method: 'POST',
      body: { customer: 'acme', items: [{ sku: 'A', quantity: 1 }] },
    });
    const { id } = created.body as { id: number };
    await requestJson(`${service.url}/orders/${id}`);
    await requestJson(`${service.url}/orders/${id}`);
    await requestJson(`${service.url}/orders/${id + 1000}`);
    await requestJson(`${service.url}/orders/${id}/cancel`, { method: 'POST' });
    await requestJson(`${service.url}/orders/${id}/cancel`, { method: 'POST' });

    const samples = await scrape(service.url);
    const requests = (labels: Record<string, string>) =>
      findSamples(samples, 'http_requests_total', labels).map((sample) => sample.value);
    assert.deepEqual(requests({ method: 'POST', route: '/orders', status_code: '201' }), [1]);
    assert.deepEqual(requests({ method: 'GET', route: '/orders/:id', status_code: '200' }), [2]);
    assert.deepEqual(requests({ method: 'GET', route: '/orders/:id', status_code: '404' }), [1]);
    assert.deepEqual(requests({ method: 'POST', route: '/orders/:id/cancel', status_code: '200' }), [1]);
    assert.deepEqual(requests({ method: 'POST', route: '/orders/:id/cancel', status_code: '409' }), [1]);

    const routes = new Set(findSamples(samples, 'http_requests_total').map((sample) => sample.labels.route));
    for (const route of routes) {
      assert.ok(route === 'unmatched' || !/\d/.test(route ?? ''), `raw URL "${route}" used as route label`);
    }
  });

  test('duration histogram has the 500 ms bucket', async () => {
    const samples = await scrape(service.url);
    const labels = { method: 'GET', route: '/orders/:id', status_code: '200' };
    const buckets = findSamples(samples, 'http_request_duration_seconds_bucket', labels);
    const bounds = buckets.map((sample) => sample.labels.le);
    assert.deepEqual(bounds, [
      '0.005', '0.01', '0.025', '0.05', '0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.75', '1', '2.5', '5',
      '10', '+Inf',
    ]);
    const [count] = findSamples(samples, 'http_request_duration_seconds_count', labels);
    assert.equal(count?.value, 2);
    assert.equal(buckets.at(-1)?.value, 2);
  });

  test('database queries are timed by operation', async () => {
    const samples = await scrape(service.url);
    const count = (operation: string) =>
      findSamples(samples, 'db_query_duration_seconds_count', { operation })[0]?.value;
    assert.equal(count('insert_order'), 1);
    assert.equal(count('select_order'), 3);
    assert.equal(count('cancel_order'), 2);
    assert.equal(count('select_items'), undefined);
  });

  test('process metrics are exported', async () => {
    const samples = await scrape(service.url);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
      assert.equal(findSamples(samples, name).length, 1, `${name} is missing`);
    }
  });

  test('probes and scrapes are not counted', async () => {
    await requestJson(`${service.url}/healthz`);
    await requestJson(`${service.url}/readyz`);
    await scrape(service.url);
    const samples = await scrape(service.url);
    for (const route of ['/metrics', '/healthz', '/readyz']) {
      assert.deepEqual(findSamples(samples, 'http_requests_total', { route }), [], `${route} is counted`);
    }
  });

  test('405 is counted under its template', async () => {
    for (let id = 1; id <= 5; id += 1) {
      await fetch(`${service.url}/orders/${id}`, { method: 'DELETE' });
    }
    const samples = await scrape(service.url);
    const rejected = findSamples(samples, 'http_requests_total', { route: '/orders/:id', status_code: '405' });
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]?.value, 5);
  });

  test('random URLs collapse into unmatched', async () => {
    const before = findSamples(await scrape(service.url), 'http_requests_total').length;
    const methods = ['GET', 'POST', 'DELETE'];
    for (let index = 0; index < 1000; index += 1) {
      const path = `/${randomBytes(6).toString('hex')}/${index}?q=${index}`;
      await fetch(`${service.url}${path}`, { method: methods[index % methods.length] });
    }

    const samples = await scrape(service.url);
    const unmatched = findSamples(samples, 'http_requests_total', { route: 'unmatched', status_code: '404' });
    assert.equal(unmatched.reduce((sum, sample) => sum + sample.value, 0), 1000);
    assert.ok(unmatched.length <= methods.length, `${unmatched.length} unmatched series`);
    const series = findSamples(samples, 'http_requests_total').length;
    assert.ok(series <= before + methods.length, `series grew from ${before} to ${series}`);
  });
});

test('two services keep separate metrics', async () => {
  const first = await startTestService();
  const second = await startTestService();
  try {
    await requestJson(`${first.url}/orders`);
    await requestJson(`${first.url}/orders`);
    await requestJson(`${second.url}/orders`);
    const labels = { method: 'GET', route: '/orders', status_code: '200' };
    assert.equal(findSamples(await scrape(first.url), 'http_requests_total', labels)[0]?.value, 2);
    assert.equal(findSamples(await scrape(second.url), 'http_requests_total', labels)[0]?.value, 1);
  } finally {
    await first.stop();
    await second.stop();
  }
});

test('service without telemetry has no /metrics', async () => {
  const service = await startTestService({ telemetry: false });
  try {
    const response = await requestJson(`${service.url}/metrics`);
    assert.equal(response.status, 404);
    const listing = await requestJson(`${service.url}/orders`);
    assert.equal(listing.status, 200);
  } finally {
    await service.stop();
  }
});
