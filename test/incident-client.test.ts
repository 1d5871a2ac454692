import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { findFreePorts } from '../src/common/process.js';
import { HttpIncidentClient } from '../src/incident/http-client.js';
import type { Severity } from '../src/incident/model.js';
import { assertSrekitError } from './helpers/errors.js';
import { alert, message } from './helpers/incident.js';
import {
  startTestIncidentServer, testToken, type TestIncidentServer,
} from './helpers/incident-server.js';

const actor = { author: 'ana', source: 'cli' } as const;

describe('incident HTTP client', () => {
  let server: TestIncidentServer;
  let client: HttpIncidentClient;

  before(async () => {
    server = await startTestIncidentServer();
    client = new HttpIncidentClient({ baseUrl: `${server.url}/`, token: testToken });
  });

  after(async () => {
    await server.stop();
  });

  test('commands round-trip through the API', async () => {
    const declared = await client.declare(
      { title: 'Checkout is slow', severity: 'SEV3', services: ['orders'] }, actor);
    assert.match(declared.reference, /^INC-\d+$/);
    await client.assignRole(declared.number, 'commander', 'ana', actor);
    await client.changeSeverity(declared.number, 'SEV2', actor);
    await client.postUpdate(declared.number,
      { audience: 'public', text: 'We are investigating.', state: 'investigating' }, actor);
    await client.addNote(declared.number, 'p95 at 900 ms', actor);
    await client.recordMilestone(declared.number, 'mitigated', '2026-12-04T19:58:00Z', actor);
    await client.addActionItem(declared.number,
      { title: 'Cache prices', owner: 'bo', due: '2026-12-18' }, actor);
    await client.snoozeReminders(declared.number, '2026-12-04T21:00:00Z', actor);
    const resolved = await client.changeState(declared.number, 'resolved', 'fixed', actor);
    assert.equal(resolved.state, 'resolved');

    const record = await client.get(declared.number);
    assert.equal(record.incident.severity, 'SEV2');
    assert.equal(record.incident.roles.commander, 'ana');
    assert.equal(record.incident.actionItems.length, 1);
    assert.ok(record.events.every((event) => event.author === 'ana' && event.source === 'cli'));

    const listed = await client.list({ states: ['resolved'] });
    assert.deepEqual(listed.map((incident) => incident.reference), [declared.reference]);
  });

  test('alerts sent through the client open an incident', async () => {
    const body = message('{}:{group="client"}',
      [alert('client-down', { alertname: 'OrdersDown', severity: 'page' })]);
    const first = await client.receiveAlerts(body, actor);
    const second = await client.receiveAlerts(body, actor);
    assert.equal(first.opened, true);
    assert.equal(second.eventsAppended, 0);
  });

  test('server errors become SrekitError codes', async () => {
    await assert.rejects(client.get(999), assertSrekitError('INCIDENT_NOT_FOUND', /INC-999/));

    const declared = await client.declare({ title: 'Wrong page', severity: 'SEV4' }, actor);
    await client.changeState(declared.number, 'cancelled', 'declared in error', actor);
    await assert.rejects(client.changeState(declared.number, 'resolved', null, actor),
      assertSrekitError('INCIDENT_INVALID_CHANGE', /cancelled/));

    await assert.rejects(
      client.declare({ title: 'x', severity: 'SEV9' as Severity }, actor),
      assertSrekitError('INVALID_INPUT', /severity: expected one of SEV1/));

    const stranger = new HttpIncidentClient({ baseUrl: server.url, token: 'not-the-token' });
    await assert.rejects(stranger.list(),
      assertSrekitError('INCIDENT_UNAUTHORIZED', /invalid bearer token[\s\S]*SREKIT_INCIDENT_TOKEN/));
  });

  test('refused connection names the URL', async () => {
    const [port] = await findFreePorts(1);
    const nowhere = new HttpIncidentClient({ baseUrl: `http://127.0.0.1:${port ?? 0}`, token: 'x' });
    await assert.rejects(nowhere.list(), assertSrekitError('INCIDENT_SERVER_UNAVAILABLE',
      new RegExp(`could not reach the incident server at http://127\\.0\\.0\\.1:${port ?? 0}/`)));
  });
});

describe('incident HTTP client retry', () => {
  let server: TestIncidentServer;
  let proxy: Server;
  let proxyUrl = '';
  const seenKeys: string[] = [];

  // Forwards each request to the incident server, but drops the connection
  // instead of returning the first response, as a network failure would
  // after the server has already run the command.
  before(async () => {
    server = await startTestIncidentServer();
    let dropped = false;
    proxy = createServer((incoming, outgoing) => {
      seenKeys.push(String(incoming.headers['idempotency-key']));
      forward(server.url, incoming, (status, headers, body) => {
        if (!dropped && incoming.method === 'POST') {
          dropped = true;
          incoming.socket.destroy();
          return;
        }
        outgoing.writeHead(status, headers).end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    assert.notEqual(address, null);
    assert.equal(typeof address, 'object');
    if (address === null || typeof address !== 'object') return;
    proxyUrl = `http://127.0.0.1:${address.port}`;
  });

  after(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    await server.stop();
  });

  test('lost response is retried with the same key', async () => {
    const client = new HttpIncidentClient({ baseUrl: proxyUrl, token: testToken });
    const before = await server.countRows();

    const declared = await client.declare({ title: 'Queue backs up', severity: 'SEV2' }, actor);
    assert.equal(seenKeys.length, 2);
    assert.equal(seenKeys[0], seenKeys[1]);
    assert.match(seenKeys[0] ?? '', /^[0-9a-f-]{36}$/);

    const after = await server.countRows();
    assert.equal(after.events, before.events + 1);
    const incidents = await client.list();
    assert.deepEqual(incidents.map((incident) => incident.reference), [declared.reference]);
  });
});

function forward(
  target: string,
  incoming: IncomingMessage,
  done: (status: number, headers: Record<string, string>, body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
  incoming.on('end', () => {
    const outgoing = httpRequest(`${target}${incoming.url ?? '/'}`, {
      method: incoming.method, headers: incoming.headers,
    }, (response) => {
      const body: Buffer[] = [];
      response.on('data', (chunk: Buffer) => body.push(chunk));
      response.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (typeof value === 'string') headers[name] = value;
        }
        done(response.statusCode ?? 502, headers, Buffer.concat(body));
      });
    });
    outgoing.end(Buffer.concat(chunks));
  });
}
