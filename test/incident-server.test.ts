import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { alert, message } from './helpers/incident.js';
import {
  callApi, field, startTestIncidentServer, testToken, type TestIncidentServer,
} from './helpers/incident-server.js';
import { startPostgres, type PostgresCluster } from './helpers/postgres.js';

const declaration = { title: 'Orders API returns 502', severity: 'SEV2', services: ['orders'] };

describe('incident server', () => {
  let server: TestIncidentServer;

  before(async () => {
    server = await startTestIncidentServer();
  });

  after(async () => {
    await server.stop();
  });

  const unauthorized = [
    { name: 'no Authorization header', token: null, message: /^missing bearer token/ },
    { name: 'a wrong token', token: 'wrong', message: /^invalid bearer token/ },
    { name: 'a token one character longer', token: `${testToken}x`, message: /^invalid bearer/ },
  ];
  for (const { name, token, message } of unauthorized) {
    test(`declare with ${name} gets 401`, async () => {
      const before = await server.countRows();
      const response = await callApi(`${server.url}/v1/incidents`, {
        method: 'POST', body: declaration, token,
      });
      assert.equal(response.status, 401);
      assert.equal(field(response, 'code'), 'INCIDENT_UNAUTHORIZED');
      assert.match(String(field(response, 'error')), message);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="srekit-incident"');
      assert.deepEqual(await server.countRows(), before);
    });
  }

  const malformedAuthorization = [
    { name: 'Basic scheme', header: 'Basic YW5hOnNlY3JldA==' },
    { name: 'two tokens', header: `Bearer ${testToken} extra` },
    { name: 'scheme without token', header: 'Bearer' },
  ];
  for (const { name, header } of malformedAuthorization) {
    test(`Authorization with ${name} gets 401`, async () => {
      const before = await server.countRows();
      const response = await callApi(`${server.url}/v1/incidents`, {
        method: 'POST', body: declaration, token: null, headers: { authorization: header },
      });
      assert.equal(response.status, 401);
      assert.equal(field(response, 'code'), 'INCIDENT_UNAUTHORIZED');
      assert.match(String(field(response, 'error')),
        /^invalid Authorization header, which must be "Bearer" and one token: /);
      assert.deepEqual(await server.countRows(), before);
    });
  }

  test('list and unknown /v1 paths need the token', async () => {
    const list = await callApi(`${server.url}/v1/incidents`, { token: null });
    assert.equal(list.status, 401);
    const unknown = await callApi(`${server.url}/v1/nothing-here`, { token: null });
    assert.equal(unknown.status, 401);
  });

  const wrongMethods = [
    { method: 'DELETE', path: '/v1/incidents/INC-1', allow: 'GET, HEAD' },
    { method: 'PUT', path: '/v1/incidents', allow: 'GET, HEAD, POST' },
    { method: 'GET', path: '/v1/webhooks/alertmanager', allow: 'POST' },
    { method: 'GET', path: '/v1/incidents/INC-1/notes', allow: 'POST' },
    { method: 'PATCH', path: '/v1/incidents/INC-1/action-items/1/done', allow: 'POST' },
    { method: 'POST', path: '/healthz', allow: 'GET, HEAD' },
    { method: 'DELETE', path: '/status.json', allow: 'GET, HEAD' },
  ];
  for (const { method, path, allow } of wrongMethods) {
    test(`${method} ${path} gets 405`, async () => {
      const before = await server.countRows();
      const response = await callApi(`${server.url}${path}`, { method });
      assert.equal(response.status, 405, JSON.stringify(response.body));
      assert.equal(response.headers.get('allow'), allow);
      assert.equal(field(response, 'code'), 'INVALID_INPUT');
      assert.equal(field(response, 'error'), `method ${method} is not allowed on ${path}`);
      assert.deepEqual(await server.countRows(), before);
    });
  }

  test('wrong method on /v1 without a token gets 401', async () => {
    const response = await callApi(`${server.url}/v1/incidents`, { method: 'DELETE', token: null });
    assert.equal(response.status, 401);
  });

  const malformed = [
    {
      name: 'invalid header character', header: 'X-Incident-Author: ev\u0001il',
      status: 400, message: /^malformed HTTP request: a header contains an invalid character$/,
    },
    {
      name: 'oversized header', header: `X-Padding: ${'x'.repeat(70_000)}`,
      status: 431, message: /^the request headers are larger than the server accepts$/,
    },
  ];
  for (const item of malformed) {
    test(`${item.name} gets ${item.status} with a JSON error`, async () => {
      const before = await server.countRows();
      const request = `POST /v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n${item.header}\r\n`
        + `Authorization: Bearer ${testToken}\r\nContent-Length: 0\r\n\r\n`;
      const response = await sendRawRequest(server.url, request);
      const [head = '', body = ''] = response.split('\r\n\r\n');
      assert.match(head, new RegExp(`^HTTP/1.1 ${item.status} `));
      assert.match(head, /\r\nContent-Type: application\/json\r\n/);
      const parsed = JSON.parse(body) as Record<string, unknown>;
      assert.equal(parsed.code, 'INVALID_INPUT');
      assert.match(String(parsed.error), item.message);
      assert.deepEqual(await server.countRows(), before);
    });
  }

  test('public routes need no token', async () => {
    const health = await callApi(`${server.url}/healthz`, { token: null });
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const metrics = await callApi(`${server.url}/metrics`, { token: null });
    assert.equal(metrics.status, 200);
    const page = await callApi(`${server.url}/status`, { token: null });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const json = await callApi(`${server.url}/status.json`, { token: null });
    assert.equal(json.status, 200);
    assert.equal(typeof field(json, 'overall'), 'string');
  });
});

describe('incident server commands', () => {
  let server: TestIncidentServer;

  before(async () => {
    server = await startTestIncidentServer();
  });

  after(async () => {
    await server.stop();
  });

  test('declare, list and show', async () => {
    const declared = await callApi(`${server.url}/v1/incidents`, {
      method: 'POST', body: { ...declaration, commander: 'ana' },
      headers: { 'x-incident-author': 'ana', 'x-incident-source': 'cli' },
    });
    assert.equal(declared.status, 201);
    const reference = field(declared, 'reference');
    assert.match(String(reference), /^INC-\d+$/);
    assert.equal(declared.headers.get('location'), `/v1/incidents/${String(reference)}`);
    assert.equal(field(declared, 'state'), 'triage');

    const list = await callApi(`${server.url}/v1/incidents`);
    assert.equal(list.status, 200);
    const incidents = field(list, 'incidents') as { reference: string; title: string }[];
    const listed = incidents.find((incident) => incident.reference === reference);
    assert.equal(listed?.title, declaration.title);

    const shown = await callApi(`${server.url}/v1/incidents/${String(reference)}`);
    assert.equal(shown.status, 200);
    const record = shown.body as {
      incident: { reference: string; roles: { commander: string | null } };
      events: { author: string; source: string; body: { type: string } }[];
    };
    assert.equal(record.incident.reference, reference);
    assert.equal(record.incident.roles.commander, 'ana');
    assert.equal(record.events[0]?.body.type, 'declared');
    assert.equal(record.events[0]?.author, 'ana');
    assert.equal(record.events[0]?.source, 'cli');
  });

  test('list filters by state', async () => {
    const declared = await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration });
    const reference = String(field(declared, 'reference'));
    const cancel = await callApi(`${server.url}/v1/incidents/${reference}/cancel`, {
      method: 'POST', body: { reason: 'declared twice' },
    });
    assert.equal(cancel.status, 200);
    assert.equal(field(cancel, 'state'), 'cancelled');

    const cancelled = await callApi(`${server.url}/v1/incidents?state=cancelled`);
    const references = (field(cancelled, 'incidents') as { reference: string }[])
      .map((incident) => incident.reference);
    assert.deepEqual(references, [reference]);
    const badState = await callApi(`${server.url}/v1/incidents?state=cancelled,sleeping`);
    assert.equal(badState.status, 400);
    assert.match(String(field(badState, 'error')), /state\[1\]/);
  });

  test('every command route changes the incident', async () => {
    const declared = await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration });
    const path = `${server.url}/v1/incidents/${String(field(declared, 'reference'))}`;
    type Check = (incident: Record<string, unknown>) => void;
    const steps: { route: string; body?: unknown; check: Check }[] = [
      { route: 'state', body: { state: 'investigating' }, check: (i) => assert.equal(i.state, 'investigating') },
      { route: 'severity', body: { severity: 'SEV1' }, check: (i) => assert.equal(i.severity, 'SEV1') },
      {
        route: 'roles', body: { role: 'communications', person: 'bo' },
        check: (i) => assert.equal((i.roles as Record<string, unknown>).communications, 'bo'),
      },
      {
        route: 'notes', body: { text: 'error rate at 40%' },
        check: (i) => assert.equal(i.state, 'investigating'),
      },
      {
        route: 'updates', body: { audience: 'public', text: 'We are looking into errors.', state: 'identified' },
        check: (i) => assert.equal(i.state, 'identified'),
      },
      {
        route: 'milestones', body: { milestone: 'acknowledged', at: '2026-12-04T20:05:00Z' },
        check: (i) => assert.equal(typeof (i.milestones as Record<string, unknown>).acknowledged, 'string'),
      },
      {
        route: 'action-items', body: { title: 'Add a retry budget', owner: 'bo', due: '2026-12-20' },
        check: (i) => assert.equal((i.actionItems as unknown[]).length, 1),
      },
      {
        route: 'snooze', body: { until: '2026-12-04T21:00:00Z' },
        check: (i) => assert.equal(typeof i.remindersSnoozedUntil, 'string'),
      },
      {
        route: 'action-items/1/done',
        check: (i) => assert.equal((i.actionItems as { done: boolean }[])[0]?.done, true),
      },
      { route: 'resolve', check: (i) => assert.equal(i.state, 'resolved') },
    ];
    for (const step of steps) {
      const response = await callApi(`${path}/${step.route}`, {
        method: 'POST', ...(step.body === undefined ? {} : { body: step.body }),
      });
      assert.equal(response.status, 200, `${step.route}: ${JSON.stringify(response.body)}`);
      step.check(response.body as Record<string, unknown>);
    }
  });
});

describe('incident server bad input', () => {
  let server: TestIncidentServer;
  let open: string;
  let cancelled: string;

  before(async () => {
    server = await startTestIncidentServer({ bodyLimitBytes: 4096 });
    const first = await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration });
    open = String(field(first, 'reference'));
    const second = await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration });
    cancelled = String(field(second, 'reference'));
    await callApi(`${server.url}/v1/incidents/${cancelled}/cancel`, { method: 'POST' });
  });

  after(async () => {
    await server.stop();
  });

  const cases: {
    name: string; path: () => string; body?: unknown; rawBody?: string;
    contentType?: string; status: number; code: string; message: RegExp;
  }[] = [
    {
      name: 'unknown incident', path: () => '/v1/incidents/INC-999/notes', body: { text: 'x' },
      status: 404, code: 'INCIDENT_NOT_FOUND', message: /INC-999/,
    },
    {
      name: 'resolving a cancelled incident', path: () => `/v1/incidents/${cancelled}/resolve`,
      body: {}, status: 409, code: 'INCIDENT_INVALID_CHANGE', message: /cancelled/,
    },
    {
      name: 'oversized body', path: () => `/v1/incidents/${open}/notes`,
      body: { text: 'x'.repeat(5000) }, status: 413, code: 'INVALID_INPUT',
      message: /larger than the limit of 4096 bytes/,
    },
    {
      name: 'malformed JSON', path: () => '/v1/incidents', rawBody: '{"title": "x",',
      status: 400, code: 'INVALID_INPUT', message: /^request body is not valid JSON/,
    },
    {
      name: 'deeply nested arrays', path: () => '/v1/incidents', rawBody: '['.repeat(1000),
      status: 400, code: 'INVALID_INPUT', message: /nested too deeply: .* at most 32 levels/,
    },
    {
      name: 'arrays nested 32 levels', path: () => '/v1/incidents',
      rawBody: `${'['.repeat(32)}${']'.repeat(32)}`,
      status: 400, code: 'INVALID_INPUT', message: /expected a JSON object, got an array/,
    },
    {
      name: 'prototype key', path: () => '/v1/incidents',
      rawBody: '{"title": "x", "severity": "SEV2", "__proto__": {}}',
      status: 400, code: 'INVALID_INPUT', message: /"__proto__"/,
    },
    {
      name: 'text body', path: () => '/v1/incidents', rawBody: 'title=x', contentType: 'text/plain',
      status: 415, code: 'INVALID_INPUT', message: /application\/json/,
    },
    {
      name: 'unknown severity', path: () => '/v1/incidents', body: { title: 'x', severity: 'SEV9' },
      status: 400, code: 'INVALID_INPUT', message: /severity: expected one of SEV1, SEV2, SEV3, SEV4, got "SEV9"/,
    },
    {
      name: 'empty body', path: () => '/v1/incidents', rawBody: '',
      status: 400, code: 'INVALID_INPUT',
      message: /^invalid incident declaration: the request body is empty$/,
    },
    {
      name: 'empty note body', path: () => `/v1/incidents/${open}/notes`, rawBody: '',
      status: 400, code: 'INVALID_INPUT', message: /^invalid note: the request body is empty$/,
    },
    {
      name: 'missing title', path: () => '/v1/incidents', body: { severity: 'SEV2' },
      status: 400, code: 'INVALID_INPUT', message: /title: missing/,
    },
    {
      name: 'misspelt field', path: () => '/v1/incidents',
      body: { title: 'x', severity: 'SEV2', service: ['orders'] },
      status: 400, code: 'INVALID_INPUT', message: /service is not a known field/,
    },
    {
      name: 'array body', path: () => '/v1/incidents', body: [declaration],
      status: 400, code: 'INVALID_INPUT', message: /expected a JSON object, got an array/,
    },
    {
      name: 'invalid reference', path: () => '/v1/incidents/INC-x/notes', body: { text: 'x' },
      status: 400, code: 'INVALID_INPUT', message: /invalid incident reference "INC-x"/,
    },
    {
      name: 'unknown state', path: () => `/v1/incidents/${open}/state`, body: { state: 'done' },
      status: 400, code: 'INVALID_INPUT', message: /state: expected one of triage/,
    },
    {
      name: 'blank note', path: () => `/v1/incidents/${open}/notes`, body: { text: '   ' },
      status: 400, code: 'INVALID_INPUT', message: /must not be empty/,
    },
    {
      name: 'invalid snooze time', path: () => `/v1/incidents/${open}/snooze`,
      body: { until: 'tomorrow' }, status: 400, code: 'INVALID_INPUT', message: /tomorrow/,
    },
  ];
  for (const item of cases) {
    test(`${item.name} gets ${item.status} and changes nothing`, async () => {
      const before = await server.countRows();
      const headers = item.contentType === undefined ? undefined : { 'content-type': item.contentType };
      const response = await callApi(`${server.url}${item.path()}`, {
        method: 'POST', body: item.body, rawBody: item.rawBody, headers,
      });
      assert.equal(response.status, item.status, JSON.stringify(response.body));
      assert.equal(field(response, 'code'), item.code);
      assert.match(String(field(response, 'error')), item.message);
      assert.deepEqual(await server.countRows(), before);
    });
  }

  const actionItemCases = [
    { name: 'item zero', item: '0', status: 400, code: 'INVALID_INPUT', message: /"0"/ },
    { name: 'item not a number', item: 'x', status: 400, code: 'INVALID_INPUT', message: /"x"/ },
    {
      name: 'unknown item', item: '7', status: 409, code: 'INCIDENT_INVALID_CHANGE',
      message: /no action item 7/,
    },
  ];
  for (const item of actionItemCases) {
    test(`action item done with ${item.name} gets ${item.status}`, async () => {
      const before = await server.countRows();
      const response = await callApi(
        `${server.url}/v1/incidents/${open}/action-items/${item.item}/done`, { method: 'POST' });
      assert.equal(response.status, item.status, JSON.stringify(response.body));
      assert.equal(field(response, 'code'), item.code);
      assert.match(String(field(response, 'error')), item.message);
      assert.deepEqual(await server.countRows(), before);
    });
  }

  test('unknown incident by GET gets 404', async () => {
    const response = await callApi(`${server.url}/v1/incidents/INC-404`);
    assert.equal(response.status, 404);
    assert.equal(field(response, 'code'), 'INCIDENT_NOT_FOUND');
  });
});

describe('incident server idempotency', () => {
  let server: TestIncidentServer;

  before(async () => {
    server = await startTestIncidentServer();
  });

  after(async () => {
    await server.stop();
  });

  test('repeated key replays the first response', async () => {
    const headers = { 'idempotency-key': 'declare-1' };
    const first = await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration, headers });
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const rowsAfterFirst = await server.countRows();

    const second = await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration, headers });
    assert.equal(second.status, 201);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers.get('location'), first.headers.get('location'));
    assert.deepEqual(await server.countRows(), rowsAfterFirst);
  });

  test('repeated key replays a client error too', async () => {
    const headers = { 'idempotency-key': 'note-missing' };
    const options = { method: 'POST', body: { text: 'x' }, headers };
    const first = await callApi(`${server.url}/v1/incidents/INC-77/notes`, options);
    const second = await callApi(`${server.url}/v1/incidents/INC-77/notes`, options);
    assert.equal(first.status, 404);
    assert.equal(second.status, 404);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(second.body, first.body);
  });

  test('same key with another body gets 422', async () => {
    const headers = { 'idempotency-key': 'declare-2' };
    await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration, headers });
    const before = await server.countRows();
    const other = await callApi(`${server.url}/v1/incidents`, {
      method: 'POST', body: { ...declaration, severity: 'SEV1' }, headers,
    });
    assert.equal(other.status, 422);
    assert.equal(field(other, 'code'), 'INVALID_INPUT');
    assert.match(String(field(other, 'error')), /Idempotency-Key "declare-2" was already used/);
    assert.deepEqual(await server.countRows(), before);
  });

  test('concurrent repeats run the command once', async () => {
    const headers = { 'idempotency-key': 'declare-concurrent' };
    const before = await server.countRows();
    const responses = await Promise.all([1, 2, 3, 4].map(() => callApi(`${server.url}/v1/incidents`, {
      method: 'POST', body: declaration, headers,
    })));
    const created = responses.filter((response) => response.status === 201);
    assert.ok(created.length >= 1);
    for (const response of responses) assert.ok([201, 409].includes(response.status));
    const after = await server.countRows();
    assert.equal(after.events, before.events + 1);
  });

  test('expired key runs the command again', async () => {
    const headers = { 'idempotency-key': 'declare-old' };
    const first = await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration, headers });
    server.clock.advanceMinutes(24 * 60 + 1);
    const second = await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration, headers });
    assert.equal(second.status, 201);
    assert.equal(second.headers.get('idempotent-replayed'), null);
    assert.notEqual(field(second, 'reference'), field(first, 'reference'));
  });

  test('invalid key gets 400', async () => {
    const before = await server.countRows();
    const response = await callApi(`${server.url}/v1/incidents`, {
      method: 'POST', body: declaration, headers: { 'idempotency-key': 'a'.repeat(256) },
    });
    assert.equal(response.status, 400);
    assert.match(String(field(response, 'error')), /invalid Idempotency-Key header/);
    assert.deepEqual(await server.countRows(), before);
  });

  test('repeated key header gets 400', async () => {
    const before = await server.countRows();
    const body = JSON.stringify(declaration);
    const request = `POST /v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n`
      + `Authorization: Bearer ${testToken}\r\nContent-Type: application/json\r\n`
      + 'Idempotency-Key: key-1\r\nIdempotency-Key: key-2\r\n'
      + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

    const response = await sendRawRequest(server.url, request);
    const [head = '', responseBody = ''] = response.split('\r\n\r\n');

    assert.match(head, /^HTTP\/1.1 400 /);
    const parsed = JSON.parse(responseBody) as Record<string, unknown>;
    assert.equal(parsed.error, 'invalid Idempotency-Key header: it was sent more than once');
    assert.deepEqual(await server.countRows(), before);
  });
});

describe('incident server metrics', () => {
  let server: TestIncidentServer;

  before(async () => {
    server = await startTestIncidentServer();
  });

  after(async () => {
    await server.stop();
  });

  test('metrics count requests and incidents by state', async () => {
    await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration });
    await callApi(`${server.url}/v1/incidents`, { method: 'POST', body: declaration });
    await callApi(`${server.url}/v1/incidents/INC-1/resolve`, { method: 'POST' });
    await callApi(`${server.url}/v1/incidents/INC-50`);

    const response = await callApi(`${server.url}/metrics`, { token: null });
    const text = String(response.body);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(text, /^http_requests_total\{method="POST",route="\/v1\/incidents",status_code="201"\} 2$/m);
    assert.match(text,
      /^http_requests_total\{method="GET",route="\/v1\/incidents\/:ref",status_code="404"\} 1$/m);
    assert.match(text,
      /^http_request_duration_seconds_count\{method="POST",route="\/v1\/incidents",status_code="201"\} 2$/m);
    assert.match(text, /^incident_incidents\{state="triage"\} 1$/m);
    assert.match(text, /^incident_incidents\{state="resolved"\} 1$/m);
    assert.match(text, /^incident_incidents\{state="closed"\} 0$/m);
  });
});

describe('incident server on PostgreSQL', () => {
  let cluster: PostgresCluster;
  let server: TestIncidentServer;

  before(async () => {
    cluster = await startPostgres();
    server = await startTestIncidentServer({
      databaseUrl: await cluster.createDatabase('incident_server'),
    });
  });

  after(async () => {
    await server?.stop();
    await cluster?.stop();
  });

  test('idempotent declare replays and rejects mismatch', async () => {
    const headers = { 'idempotency-key': 'pg-declare' };
    const responses = await Promise.all([1, 2, 3].map(() => callApi(`${server.url}/v1/incidents`, {
      method: 'POST', body: declaration, headers,
    })));
    const statuses = responses.map((response) => response.status);
    assert.ok(statuses.includes(201), `statuses: ${statuses.join(', ')}`);
    assert.ok(statuses.every((status) => status === 201 || status === 409));
    const rows = await server.countRows();
    assert.equal(rows.events, 1);
    assert.equal(rows.keys, 1);

    const replay = await callApi(`${server.url}/v1/incidents`, {
      method: 'POST', body: declaration, headers,
    });
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    const mismatch = await callApi(`${server.url}/v1/incidents`, {
      method: 'POST', body: { ...declaration, title: 'Other' }, headers,
    });
    assert.equal(mismatch.status, 422);
    assert.deepEqual(await server.countRows(), rows);
  });

  test('concurrent duplicate webhooks open one incident', async () => {
    const firing = [
      alert('pg-down', { alertname: 'OrdersDown', severity: 'page' }),
      alert('pg-errors', { alertname: 'OrdersErrors', severity: 'page' }),
    ];
    const first = message('{}:{group="pg"}', firing, { receiver: 'incident' });
    const second = message('{}:{group="pg"}', [...firing].reverse(), { receiver: 'incident-ha' });
    const responses = await Promise.all([first, second, first, second].map((body) =>
      callApi(`${server.url}/v1/webhooks/alertmanager`, { method: 'POST', body })));
    for (const response of responses) assert.equal(response.status, 200);
    const opened = responses.filter((response) => field(response, 'opened') === true);
    assert.equal(opened.length, 1);

    const list = await callApi(`${server.url}/v1/incidents?state=triage`);
    const fromAlerts = (field(list, 'incidents') as { alertGroupKey: string | null }[])
      .filter((incident) => incident.alertGroupKey === '{}:{group="pg"}');
    assert.equal(fromAlerts.length, 1);
  });

  test('metrics count incidents on PostgreSQL', async () => {
    const response = await callApi(`${server.url}/metrics`, { token: null });
    assert.match(String(response.body), /^incident_incidents\{state="triage"\} 2$/m);
  });
});

/** Sends `request` as raw bytes, so that it can break HTTP, and returns all the server sent. */
function sendRawRequest(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // The server may close the connection before the request is fully sent.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    socket.end(request);
  });
}
