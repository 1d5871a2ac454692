import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SrekitError } from '../src/common/errors.js';
import { startService } from '../src/service/index.js';
import {
  checkOrderLifecycle,
  checkPagingAcrossPages,
  checkRestartKeepsOrders,
} from './helpers/orders-api.js';
import { startPostgres, type PostgresCluster } from './helpers/postgres.js';
import { errorMessage, requestJson, startTestService, type TestService } from './helpers/service.js';

describe('orders API on PostgreSQL', () => {
  let cluster: PostgresCluster;
  let service: TestService;

  before(async () => {
    cluster = await startPostgres();
    service = await startTestService({ databaseUrl: await cluster.createDatabase('orders') });
  });

  after(async () => {
    await service?.stop();
    await cluster?.stop();
  });

  test('order lifecycle', async () => {
    await checkOrderLifecycle(service.url);
  });

  test('pages cover every order once', async () => {
    const paging = await startTestService({ databaseUrl: await cluster.createDatabase('paging') });
    try {
      await checkPagingAcrossPages(paging.url, 23, 5);
    } finally {
      await paging.stop();
    }
  });

  test('orders survive a restart', async () => {
    const url = await cluster.createDatabase('restart');
    await checkRestartKeepsOrders(url);
  });

  test('readiness fails when the server stops', async () => {
    const ready = await requestJson(`${service.url}/readyz`);
    assert.equal(ready.status, 200);

    await cluster.stop();

    const notReady = await requestJson(`${service.url}/readyz`);
    assert.equal(notReady.status, 503);
    const listing = await requestJson(`${service.url}/orders`);
    assert.equal(listing.status, 503);
    assert.equal(errorMessage(listing), 'database unavailable');
  });
});

test('unreachable PostgreSQL fails start with redacted URL', async () => {
  const error = await startService({
    port: 0,
    databaseUrl: 'postgres://orders:hunter2@127.0.0.1:1/orders',
    logger: pino({ level: 'silent' }),
  }).then(() => undefined, (caught: unknown) => caught);

  assert.ok(error instanceof SrekitError, `expected SrekitError, got ${String(error)}`);
  assert.equal(error.code, 'DATABASE_UNAVAILABLE');
  assert.match(error.message, /could not connect to postgres:\/\/orders:\*\*\*@127\.0\.0\.1:1\/orders/);
  assert.doesNotMatch(error.message, /hunter2/);
});
