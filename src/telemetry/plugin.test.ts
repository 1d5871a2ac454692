import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { createTelemetry, telemetryPlugin, type Telemetry } from './index.js';

async function countRequests(telemetry: Telemetry): Promise<Record<string, number>> {
  const metric = await telemetry.http.requests.get();
  const counts: Record<string, number> = {};
  for (const { labels, value } of metric.values) {
    counts[`${labels.method} ${labels.route} ${labels.status_code}`] = value;
  }
  return counts;
}

async function appWithTelemetry(
  options: { uncountedRoutes?: string[] } = {},
): Promise<{ app: FastifyInstance; telemetry: Telemetry }> {
  const telemetry = createTelemetry({ processMetrics: false });
  const app = Fastify();
  await app.register(telemetryPlugin, { telemetry, ...options });
  return { app, telemetry };
}

test('HEAD requests count under their own method', async () => {
  const { app, telemetry } = await appWithTelemetry();
  app.get('/items/:id', async () => ({ ok: true }));
  await app.inject({ method: 'GET', url: '/items/1' });
  await app.inject({ method: 'HEAD', url: '/items/2' });

  assert.deepEqual(await countRequests(telemetry), {
    'GET /items/:id 200': 1,
    'HEAD /items/:id 200': 1,
  });
});

test('prefixed routes keep the prefix', async () => {
  const { app, telemetry } = await appWithTelemetry();
  await app.register(async (child) => {
    child.get('/users/:name', async () => 'hello');
  }, { prefix: '/v1' });
  await app.inject({ method: 'GET', url: '/v1/users/ada' });

  assert.deepEqual(await countRequests(telemetry), { 'GET /v1/users/:name 200': 1 });
});

test('existing route hooks still run', async () => {
  const { app, telemetry } = await appWithTelemetry();
  const calls: string[] = [];
  app.get('/one', {
    onResponse: (_request, _reply, done) => {
      calls.push('one');
      done();
    },
  }, async () => 'one');
  app.get('/two', {
    onResponse: [(_request, _reply, done) => {
      calls.push('two');
      done();
    }],
  }, async () => 'two');
  await app.inject({ method: 'GET', url: '/one' });
  await app.inject({ method: 'GET', url: '/two' });

  assert.deepEqual(calls, ['one', 'two']);
  assert.deepEqual(await countRequests(telemetry), { 'GET /one 200': 1, 'GET /two 200': 1 });
});

test('handler errors count as 500', async () => {
  const { app, telemetry } = await appWithTelemetry();
  app.get('/broken', async () => {
    throw new Error('broken on purpose');
  });
  await app.inject({ method: 'GET', url: '/broken' });

  assert.deepEqual(await countRequests(telemetry), { 'GET /broken 500': 1 });
});

test('unmatched requests share one route label', async () => {
  const { app, telemetry } = await appWithTelemetry();
  app.get('/known', async () => 'known');
  await app.inject({ method: 'GET', url: '/unknown/1' });
  await app.inject({ method: 'GET', url: '/unknown/2' });
  await app.inject({ method: 'POST', url: '/known' });

  assert.deepEqual(await countRequests(telemetry), {
    'GET unmatched 404': 2,
    'POST unmatched 404': 1,
  });
});

test('uncounted routes can be changed', async () => {
  const { app, telemetry } = await appWithTelemetry({ uncountedRoutes: ['/ping'] });
  app.get('/ping', async () => 'pong');
  app.get('/healthz', async () => 'ok');
  await app.inject({ method: 'GET', url: '/ping' });
  await app.inject({ method: 'GET', url: '/healthz' });
  await app.inject({ method: 'GET', url: '/metrics' });

  assert.deepEqual(await countRequests(telemetry), { 'GET /healthz 200': 1 });
});

test('metrics page uses the Prometheus content type', async () => {
  const { app } = await appWithTelemetry();
  app.get('/hello', async () => 'hello');
  await app.inject({ method: 'GET', url: '/hello' });
  const response = await app.inject({ method: 'GET', url: '/metrics' });

  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(response.body, /^http_requests_total\{method="GET",route="\/hello",status_code="200"\} 1$/m);
  assert.match(response.body, /^# TYPE http_request_duration_seconds histogram$/m);
  assert.match(response.body, /^# TYPE db_query_duration_seconds histogram$/m);
});

test('database timer records failures too', async () => {
  const telemetry = createTelemetry({ processMetrics: false });
  const value = await telemetry.database.time('select_thing', async () => 42);
  await assert.rejects(telemetry.database.time('select_thing', async () => {
    throw new Error('query failed');
  }), /query failed/);

  assert.equal(value, 42);
  const metric = await telemetry.database.duration.get();
  const count = metric.values.find((sample) => sample.metricName === 'db_query_duration_seconds_count');
  assert.equal(count?.value, 2);
  assert.equal(count?.labels.operation, 'select_thing');
});
