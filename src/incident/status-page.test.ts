import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSrekitError } from '../../test/helpers/errors.js';
import type {
  Incident, IncidentEvent, IncidentEventBody, IncidentState, Severity,
} from './model.js';
import {
  buildStatusView, collectPublicUpdates, exportStatusPage, latestPublicUpdate,
  renderStatusHtml, renderStatusJson, type StatusComponent,
} from './status-page.js';

const now = new Date('2026-12-04T20:00:00.000Z');

function makeIncident(
  number: number, severity: Severity, state: IncidentState, services: string[],
  overrides: Partial<Incident> = {},
): Incident {
  return {
    number,
    reference: `INC-${number}`,
    title: `Incident ${number}`,
    severity,
    state,
    services,
    summary: null,
    roles: { commander: null, communications: null, owner: null },
    roleHistory: [],
    milestones: { started: '2026-12-04T18:00:00.000Z' },
    createdAt: '2026-12-04T18:00:00.000Z',
    updatedAt: '2026-12-04T19:00:00.000Z',
    nextUpdateDue: null,
    remindersSnoozedUntil: null,
    alertGroupKey: null,
    runbookUrls: [],
    actionItems: [],
    ...overrides,
  };
}

function makeEvent(
  id: number, incident: number, at: string, body: IncidentEventBody,
): IncidentEvent {
  return { id, incident, at, author: 'ana', source: 'cli', body };
}

function stateOf(components: StatusComponent[], name: string): string | undefined {
  return components.find((component) => component.name === name)?.state;
}

test('component state follows worst open incident', () => {
  const view = buildStatusView([
    makeIncident(1, 'SEV3', 'investigating', ['orders-api', 'payments']),
    makeIncident(2, 'SEV1', 'identified', ['orders-api']),
    makeIncident(3, 'SEV2', 'monitoring', ['search']),
    makeIncident(4, 'SEV4', 'triage', ['emails']),
  ], { components: ['orders-api', 'payments', 'login'], now });

  assert.deepEqual(view.components.map((component) => component.name),
    ['orders-api', 'payments', 'login', 'emails', 'search']);
  assert.equal(stateOf(view.components, 'orders-api'), 'major_outage');
  assert.equal(stateOf(view.components, 'payments'), 'degraded_performance');
  assert.equal(stateOf(view.components, 'login'), 'operational');
  assert.equal(stateOf(view.components, 'search'), 'partial_outage');
  assert.equal(stateOf(view.components, 'emails'), 'operational');
  assert.deepEqual(view.components[0]?.incidents, ['INC-1', 'INC-2']);
  assert.equal(view.overall, 'major_outage');
});

test('resolved incident leaves component operational', () => {
  const resolved = makeIncident(5, 'SEV1', 'resolved', ['orders-api'], {
    milestones: { started: '2026-12-04T18:00:00.000Z', resolved: '2026-12-04T19:30:00.000Z' },
  });
  const view = buildStatusView([resolved], { components: ['orders-api'], now });

  assert.equal(stateOf(view.components, 'orders-api'), 'operational');
  assert.equal(view.overall, 'operational');
  assert.deepEqual(view.components[0]?.incidents, []);
  assert.equal(view.openIncidents.length, 0);
  assert.deepEqual(view.resolvedIncidents.map((incident) => incident.reference), ['INC-5']);
  assert.equal(view.resolvedIncidents[0]?.state, 'resolved');
  assert.equal(view.resolvedIncidents[0]?.resolvedAt, '2026-12-04T19:30:00.000Z');
});

test('resolved list keeps seven days only', () => {
  const old = makeIncident(6, 'SEV2', 'closed', ['orders-api'], {
    milestones: { started: '2026-11-20T10:00:00.000Z', resolved: '2026-11-27T19:59:00.000Z' },
  });
  const recent = makeIncident(7, 'SEV2', 'closed', ['orders-api'], {
    milestones: { started: '2026-11-27T10:00:00.000Z', resolved: '2026-11-27T20:01:00.000Z' },
  });
  const cancelled = makeIncident(8, 'SEV1', 'cancelled', ['orders-api']);
  const view = buildStatusView([old, recent, cancelled], { components: [], now });

  assert.deepEqual(view.resolvedIncidents.map((incident) => incident.reference), ['INC-7']);
  assert.equal(view.openIncidents.length, 0);
  assert.deepEqual(view.components, []);
});

test('incident states use status page words', () => {
  const states: Array<[IncidentState, string]> = [
    ['triage', 'investigating'],
    ['investigating', 'investigating'],
    ['identified', 'identified'],
    ['monitoring', 'monitoring'],
  ];
  for (const [state, expected] of states) {
    const view = buildStatusView([makeIncident(1, 'SEV2', state, [])], { components: [], now });
    assert.equal(view.openIncidents[0]?.state, expected, state);
  }
});

test('open incidents list most severe first', () => {
  const view = buildStatusView([
    makeIncident(1, 'SEV2', 'triage', [], { milestones: { started: '2026-12-04T17:00:00Z' } }),
    makeIncident(2, 'SEV2', 'triage', [], { milestones: { started: '2026-12-04T19:00:00Z' } }),
    makeIncident(3, 'SEV3', 'triage', [], { milestones: { started: '2026-12-04T19:30:00Z' } }),
    makeIncident(4, 'SEV1', 'triage', [], { milestones: { started: '2026-12-04T16:00:00Z' } }),
  ], { components: [], now });

  assert.deepEqual(view.openIncidents.map((incident) => incident.reference),
    ['INC-4', 'INC-2', 'INC-1', 'INC-3']);
});

test('internal updates and notes never shown', () => {
  const events = [
    makeEvent(1, 9, '2026-12-04T18:10:00.000Z', {
      type: 'status_update', audience: 'public', text: 'We are looking into errors.',
      nextUpdateDue: null,
    }),
    makeEvent(2, 9, '2026-12-04T18:20:00.000Z', {
      type: 'status_update', audience: 'internal', text: 'Suspect the 18:05 deploy.',
      nextUpdateDue: null,
    }),
    makeEvent(3, 9, '2026-12-04T18:25:00.000Z', { type: 'note_added', text: 'db01 swapping' }),
  ];
  const updates = collectPublicUpdates(events);
  const view = buildStatusView([makeIncident(9, 'SEV2', 'identified', ['orders-api'])],
    { components: [], now, publicUpdates: updates });
  const html = renderStatusHtml(view);
  const json = JSON.stringify(renderStatusJson(view));

  assert.deepEqual(latestPublicUpdate(events),
    { text: 'We are looking into errors.', at: '2026-12-04T18:10:00.000Z' });
  assert.deepEqual(view.openIncidents[0]?.latestUpdate,
    { text: 'We are looking into errors.', at: '2026-12-04T18:10:00.000Z' });
  assert.match(html, /We are looking into errors\./);
  assert.match(html, /Update posted 2026-12-04 18:10 UTC/);
  for (const hidden of ['Suspect the 18:05 deploy', 'db01 swapping']) {
    assert.doesNotMatch(html, new RegExp(hidden), `HTML shows "${hidden}"`);
    assert.doesNotMatch(json, new RegExp(hidden), `JSON shows "${hidden}"`);
  }
});

test('latest public update wins', () => {
  const events = [
    makeEvent(4, 2, '2026-12-04T18:40:00.000Z', {
      type: 'status_update', audience: 'public', text: 'second', nextUpdateDue: null,
    }),
    makeEvent(3, 2, '2026-12-04T18:10:00.000Z', {
      type: 'status_update', audience: 'public', text: 'first', nextUpdateDue: null,
    }),
    makeEvent(5, 3, '2026-12-04T18:50:00.000Z', {
      type: 'status_update', audience: 'internal', text: 'internal only', nextUpdateDue: null,
    }),
  ];
  const updates = collectPublicUpdates(events);

  assert.equal(updates.get(2)?.text, 'second');
  assert.equal(updates.has(3), false);
});

test('HTML escapes incident text', () => {
  const incident = makeIncident(1, 'SEV1', 'investigating', ['<b>api</b>'], {
    title: '<script>alert("x")</script> & more',
  });
  const html = renderStatusHtml(buildStatusView([incident], {
    components: [], now, title: 'Status of "shop" <main>',
  }));

  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<b>api/);
  assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; more/);
  assert.match(html, /<title>Status of &quot;shop&quot; &lt;main&gt;<\/title>/);
  assert.match(html, /&lt;b&gt;api&lt;\/b&gt;/);
});

test('HTML is self-contained and readable on phones', () => {
  const html = renderStatusHtml(buildStatusView(
    [makeIncident(1, 'SEV2', 'identified', ['orders-api'])], { components: ['login'], now }));

  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(html, /<style>/);
  assert.doesNotMatch(html, /<script|<link|<img|<iframe/i);
  assert.doesNotMatch(html, /\b(src|href)=/i);
  assert.doesNotMatch(html, /url\(/);
  assert.doesNotMatch(html, /name="generator"/);
  assert.match(html, /<footer>Generated at 2026-12-04 20:00 UTC<\/footer>/);
  assert.match(html, /<div class="banner partial_outage">Partial outage<\/div>/);
  assert.match(html, /No incidents were resolved in the last 7 days\./);
});

test('HTML shows all systems operational', () => {
  const html = renderStatusHtml(buildStatusView([], { components: ['orders-api'], now }));

  assert.match(html, /<div class="banner operational">All systems operational<\/div>/);
  assert.match(html, /No open incidents\./);
});

test('JSON matches the view', () => {
  const view = buildStatusView([
    makeIncident(1, 'SEV1', 'investigating', ['orders-api']),
    makeIncident(2, 'SEV3', 'resolved', ['search'], {
      milestones: { started: '2026-12-03T10:00:00.000Z', resolved: '2026-12-03T11:00:00.000Z' },
    }),
  ], {
    components: ['orders-api', 'search'], now, title: 'Shop status',
    publicUpdates: new Map([[1, { text: 'Investigating', at: '2026-12-04T18:05:00.000Z' }]]),
  });
  const json = JSON.parse(JSON.stringify(renderStatusJson(view)));

  assert.deepEqual(json, { ...view, overallLabel: 'Major outage' });
  assert.equal(json.generatedAt, '2026-12-04T20:00:00.000Z');
  assert.equal(json.openIncidents[0]?.latestUpdate?.text, 'Investigating');
});

test('export writes both files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const view = buildStatusView([makeIncident(1, 'SEV1', 'identified', ['orders-api'])],
    { components: [], now });
  const target = join(dir, 'public', 'status');

  await exportStatusPage(view, target);

  assert.deepEqual((await readdir(target)).sort(), ['index.html', 'status.json']);
  assert.equal(await readFile(join(target, 'index.html'), 'utf8'), renderStatusHtml(view));
  const json = JSON.parse(await readFile(join(target, 'status.json'), 'utf8'));
  assert.deepEqual(json, JSON.parse(JSON.stringify(renderStatusJson(view))));
});

test('export into a file is rejected', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'taken');
  await writeFile(file, 'keep me');
  const view = buildStatusView([], { components: [], now });

  await assert.rejects(exportStatusPage(view, file),
    assertSrekitError('INVALID_INPUT', /could not export the status page to .*taken/));
  assert.equal(await readFile(file, 'utf8'), 'keep me');
  assert.deepEqual(await readdir(dir), ['taken']);
});

test('export under a file is rejected', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'taken');
  await writeFile(file, 'keep me');
  const view = buildStatusView([], { components: [], now });

  await assert.rejects(exportStatusPage(view, join(file, 'public', 'status')),
    assertSrekitError('INVALID_INPUT', /could not export the status page to .*taken/));
  assert.equal(await readFile(file, 'utf8'), 'keep me');
});

// Recursive mkdir in Node.js 20 spins forever on such a path instead of failing.
test('export under /proc fails at once', { timeout: 10_000 }, async (t) => {
  if (process.platform !== 'linux') {
    t.skip('needs the Linux /proc file system');
    return;
  }
  const view = buildStatusView([], { components: [], now });

  await assert.rejects(exportStatusPage(view, '/proc/srekit-missing/status'),
    assertSrekitError('INVALID_INPUT', /could not export the status page to \/proc\/srekit-missing/));
});

test('invalid view options are rejected', () => {
  assert.throws(() => buildStatusView([], { components: [], now: new Date('nope') }),
    assertSrekitError('INVALID_INPUT', /`now` is an invalid date/));
  assert.throws(() => buildStatusView([], { components: ['api', ' '], now }),
    assertSrekitError('INVALID_INPUT', /component 2 has an empty name/));
});
