import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkOrderLifecycle,
  checkPagingAcrossPages,
  checkRestartKeepsOrders,
} from './helpers/orders-api.js';
import { errorMessage, requestJson, startTestService, type TestService } from './helpers/service.js';

describe('orders API on SQLite', () => {
  let service: TestService;

  before(async () => {
    service = await startTestService();
  });

  after(async () => {
    await service.stop();
  });

  test('order lifecycle', async () => {
    await checkOrderLifecycle(service.url);
  });

  test('probes report healthy and ready', async () => {
    const health = await requestJson(`${service.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await requestJson(`${service.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready' });
  });

  const invalidBodies: { name: string; body: string; message: string }[] = [
    { name: 'malformed JSON', body: '{"customer": "acme",', message: 'request body is not valid JSON: ' },
    { name: 'empty body', body: ' ', message: 'request body is empty but Content-Type is application/json' },
    { name: 'array body', body: '[]', message: 'request body must be a JSON object' },
    { name: 'null body', body: 'null', message: 'request body must be a JSON object' },
    {
      name: 'deeply nested arrays',
      body: '['.repeat(100_000),
      message: 'request body is nested too deeply: JSON arrays and objects may be nested at most 64 levels',
    },
    {
      name: 'deeply nested objects',
      body: '{"a":'.repeat(65) + '1' + '}'.repeat(65),
      message: 'request body is nested too deeply: JSON arrays and objects may be nested at most 64 levels',
    },
    {
      name: 'arrays nested 64 levels',
      body: '['.repeat(64) + ']'.repeat(64),
      message: 'request body must be a JSON object',
    },
    { name: 'prototype key', body: '{"__proto__": {"admin": true}}', message: 'request body contains the key "__proto__"' },
    { name: 'missing customer', body: '{"items": [{"sku": "A", "quantity": 1}]}', message: 'customer is required' },
    {
      name: 'blank customer',
      body: '{"customer": "  ", "items": [{"sku": "A", "quantity": 1}]}',
      message: 'customer must be a non-empty string of at most 200 characters',
    },
    {
      name: 'numeric customer',
      body: '{"customer": 7, "items": [{"sku": "A", "quantity": 1}]}',
      message: 'customer must be a non-empty string of at most 200 characters',
    },
    {
      name: 'long customer',
      body: JSON.stringify({ customer: 'x'.repeat(201), items: [{ sku: 'A', quantity: 1 }] }),
      message: 'customer must be a non-empty string of at most 200 characters',
    },
    { name: 'missing items', body: '{"customer": "acme"}', message: 'items is required' },
    { name: 'empty items', body: '{"customer": "acme", "items": []}', message: 'items must be an array of 1 to 100 items' },
    { name: 'items not array', body: '{"customer": "acme", "items": {}}', message: 'items must be an array of 1 to 100 items' },
    {
      name: 'too many items',
      body: JSON.stringify({ customer: 'acme', items: Array.from({ length: 101 }, () => ({ sku: 'A', quantity: 1 })) }),
      message: 'items must be an array of 1 to 100 items',
    },
    { name: 'item not object', body: '{"customer": "acme", "items": [3]}', message: 'items[0] must be an object' },
    {
      name: 'missing sku',
      body: '{"customer": "acme", "items": [{"quantity": 1}]}',
      message: 'items[0].sku is required',
    },
    {
      name: 'empty sku',
      body: '{"customer": "acme", "items": [{"sku": "", "quantity": 1}]}',
      message: 'items[0].sku must be a non-empty string of at most 64 characters',
    },
    {
      name: 'missing quantity',
      body: '{"customer": "acme", "items": [{"sku": "A"}]}',
      message: 'items[0].quantity is required',
    },
    {
      name: 'zero quantity',
      body: '{"customer": "acme", "items": [{"sku": "A", "quantity": 0}]}',
      message: 'items[0].quantity must be an integer from 1 to 10000',
    },
    {
      name: 'fractional quantity',
      body: '{"customer": "acme", "items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 1.5}]}',
      message: 'items[1].quantity must be an integer from 1 to 10000',
    },
    {
      name: 'string quantity',
      body: '{"customer": "acme", "items": [{"sku": "A", "quantity": "2"}]}',
      message: 'items[0].quantity must be an integer from 1 to 10000',
    },
    {
      name: 'huge quantity',
      body: '{"customer": "acme", "items": [{"sku": "A", "quantity": 10001}]}',
      message: 'items[0].quantity must be an integer from 1 to 10000',
    },
    {
      name: 'unknown field',
      body: '{"customer": "acme", "items": [{"sku": "A", "quantity": 1, "colour": "red"}], "note": 1}',
      message: 'items[0].colour is not a known field; note is not a known field',
    },
  ];

  for (const { name, body, message } of invalidBodies) {
    test(`POST /orders rejects ${name}`, async () => {
      const response = await requestJson(`${service.url}/orders`, { method: 'POST', rawBody: body });
      assert.equal(response.status, 400);
      assert.ok(errorMessage(response).startsWith(message), `got "${errorMessage(response)}"`);
    });
  }

  test('brackets inside strings do not count as nesting', async () => {
    const response = await requestJson(`${service.url}/orders`, {
      method: 'POST',
      body: { customer: '['.repeat(100), items: [{ sku: '{"\\'.repeat(16), quantity: 1 }] },
    });
    assert.equal(response.status, 201);
  });

  test('quantity 1e308 gets one message', async () => {
    const response = await requestJson(`${service.url}/orders`, {
      method: 'POST',
      rawBody: '{"customer": "acme", "items": [{"sku": "A", "quantity": 1e308}]}',
    });
    assert.equal(response.status, 400);
    assert.equal(errorMessage(response), 'items[0].quantity must be an integer from 1 to 10000');
  });

  const unsupportedTypes = [
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'application/xml',
    'multipart/form-data; boundary=x',
  ];
  for (const contentType of unsupportedTypes) {
    test(`POST /orders rejects ${contentType}`, async () => {
      const response = await requestJson(`${service.url}/orders`, {
        method: 'POST',
        rawBody: JSON.stringify({ customer: 'acme', items: [{ sku: 'A', quantity: 1 }] }),
        headers: { 'content-type': contentType },
      });
      assert.equal(response.status, 415);
      assert.match(errorMessage(response), /application\/json/);
    });
  }

  test('POST /orders accepts JSON with charset', async () => {
    const response = await requestJson(`${service.url}/orders`, {
      method: 'POST',
      rawBody: JSON.stringify({ customer: 'acme', items: [{ sku: 'A', quantity: 1 }] }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(response.status, 201);
  });

  test('body over 1 MiB gets 413', async () => {
    const customer = 'x'.repeat(1_048_576);
    const response = await requestJson(`${service.url}/orders`, {
      method: 'POST',
      body: { customer, items: [{ sku: 'A', quantity: 1 }] },
    });
    assert.equal(response.status, 413);
    assert.equal(errorMessage(response), 'request body is larger than the limit of 1048576 bytes');
  });

  test('body just under 1 MiB is read', async () => {
    const padding = 1_048_576 - 100;
    const response = await requestJson(`${service.url}/orders`, {
      method: 'POST',
      rawBody: `{"customer": "acme", "items": [{"sku": "A", "quantity": 1}]}${' '.repeat(padding)}`,
    });
    assert.equal(response.status, 201);
  });

  test('invalid bodies store nothing', async () => {
    const before = await requestJson(`${service.url}/orders?limit=100`);
    await requestJson(`${service.url}/orders`, {
      method: 'POST',
      body: { customer: 'acme', items: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: -1 }] },
    });
    const afterwards = await requestJson(`${service.url}/orders?limit=100`);
    assert.deepEqual(afterwards.body, before.body);
  });

  const invalidCursors = [
    'abc',
    '!!!!',
    Buffer.from('{"before": -4}').toString('base64url'),
    Buffer.from('{"before": 1.5}').toString('base64url'),
    Buffer.from('{"after": 4}').toString('base64url'),
    Buffer.from('not json').toString('base64url'),
    `${Buffer.from('{"before":4}').toString('base64url')}x`,
    'a'.repeat(200),
  ];
  for (const cursor of invalidCursors) {
    test(`GET /orders rejects cursor ${cursor.slice(0, 24)}`, async () => {
      const response = await requestJson(`${service.url}/orders?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(response.status, 400);
      assert.match(errorMessage(response), /^invalid cursor ".*": pass the next_cursor value/);
    });
  }

  for (const limit of ['0', '101', 'ten', '1.5', '-1', '']) {
    test(`GET /orders rejects limit "${limit}"`, async () => {
      const response = await requestJson(`${service.url}/orders?limit=${limit}`);
      assert.equal(response.status, 400);
      assert.equal(errorMessage(response), `limit must be an integer from 1 to 100, got "${limit}"`);
    });
  }

  test('GET /orders rejects repeated limit', async () => {
    const response = await requestJson(`${service.url}/orders?limit=1&limit=2`);
    assert.equal(response.status, 400);
    assert.equal(errorMessage(response), 'limit must be given at most once');
  });

  for (const id of ['999999', 'abc', '0', '99999999999', '-1']) {
    test(`unknown order id "${id}" gets 404`, async () => {
      const read = await requestJson(`${service.url}/orders/${id}`);
      assert.equal(read.status, 404);
      assert.equal(errorMessage(read), `order "${id}" not found`);
      const cancel = await requestJson(`${service.url}/orders/${id}/cancel`, { method: 'POST' });
      assert.equal(cancel.status, 404);
      assert.equal(errorMessage(cancel), `order "${id}" not found`);
    });
  }

  const unsupportedMethods: { method: string; path: string; allow: string }[] = [
    { method: 'PUT', path: '/orders', allow: 'GET, HEAD, POST' },
    { method: 'DELETE', path: '/orders', allow: 'GET, HEAD, POST' },
    { method: 'PATCH', path: '/orders', allow: 'GET, HEAD, POST' },
    { method: 'OPTIONS', path: '/orders', allow: 'GET, HEAD, POST' },
    { method: 'PUT', path: '/orders/1', allow: 'GET, HEAD' },
    { method: 'DELETE', path: '/orders/1', allow: 'GET, HEAD' },
    { method: 'PATCH', path: '/orders/1', allow: 'GET, HEAD' },
    { method: 'POST', path: '/orders/1', allow: 'GET, HEAD' },
    { method: 'GET', path: '/orders/1/cancel', allow: 'POST' },
    { method: 'OPTIONS', path: '/orders/1/cancel', allow: 'POST' },
  ];
  for (const { method, path, allow } of unsupportedMethods) {
    test(`${method} ${path} gets 405`, async () => {
      const response = await requestJson(`${service.url}${path}`, { method });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), allow);
      assert.match(errorMessage(response), new RegExp(`^method ${method} is not allowed for /orders`));
    });
  }

  test('405 comes before body parsing', async () => {
    const response = await requestJson(`${service.url}/orders`, {
      method: 'PUT',
      rawBody: 'customer=acme',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(response.status, 405);
  });

  test('HEAD /orders/1/cancel gets 405', async () => {
    const response = await fetch(`${service.url}/orders/1/cancel`, { method: 'HEAD' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
  });

  test('unknown route gets 404', async () => {
    const response = await requestJson(`${service.url}/no/such/route`);
    assert.equal(response.status, 404);
    assert.equal(errorMessage(response), 'no route for GET /no/such/route');
  });

  test('4xx responses are logged at info', () => {
    const rejected = service.logs().filter((record) => record.msg === 'request rejected');
    assert.ok(rejected.length > 0, 'no "request rejected" records');
    for (const record of rejected) assert.equal(record.level, 30);
  });
});

describe('paging on SQLite', () => {
  let service: TestService;

  before(async () => {
    service = await startTestService();
  });

  after(async () => {
    await service.stop();
  });

  test('pages cover every order once', async () => {
    await checkPagingAcrossPages(service.url, 25, 10);
  });

  test('default page holds 20 orders', async () => {
    const page = await requestJson(`${service.url}/orders`);
    const body = page.body as { orders: unknown[]; next_cursor: string | null };
    assert.equal(body.orders.length, 20);
    assert.equal(typeof body.next_cursor, 'string');
  });
});

test('orders survive a restart on SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'srekit-restart-'));
  try {
    await checkRestartKeepsOrders(`sqlite:${join(directory, 'orders.sqlite')}`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
