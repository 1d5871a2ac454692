import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { assertSrekitError } from '../../test/helpers/errors.js';
import type {
  EventSource, Incident, IncidentEvent, IncidentEventBody, IncidentRecord,
} from './model.js';
import { formatDuration, severityPeriods, timePerSeverity } from './postmortem-durations.js';
import { formatTimestamp } from './postmortem-timeline.js';
import { renderPostmortem, todoMarker } from './postmortem.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const now = new Date('2026-12-05T09:00:00.000Z');

const alert = {
  fingerprint: 'a1b2c3', alertname: 'HighErrorRatio', startsAt: '2026-12-04T13:58:00.000Z',
  labels: { severity: 'page' }, annotations: {}, groupKey: '{}:{alertname="HighErrorRatio"}',
};

/** The log of a SEV2 that was raised to SEV1 for 45 minutes, then resolved. */
const bodies: Array<[string, EventSource, IncidentEventBody]> = [
  ['14:00', 'alertmanager', {
    type: 'declared', title: 'Orders fail | 5xx', severity: 'SEV2', services: ['orders-api'],
    summary: 'Orders return 500.', alertGroupKey: alert.groupKey,
  }],
  ['14:03', 'alertmanager', { type: 'alert_firing', alert }],
  ['14:05', 'cli', { type: 'role_assigned', role: 'commander', person: 'ana', previous: null }],
  ['14:10', 'cli', { type: 'severity_changed', from: 'SEV2', to: 'SEV1' }],
  ['14:20', 'cli', {
    type: 'role_assigned', role: 'communications', person: 'bo', previous: null,
  }],
  ['14:25', 'api', {
    type: 'status_update', audience: 'public', text: 'Orders are failing.',
    nextUpdateDue: '2026-12-04T14:55:00.000Z',
  }],
  ['14:30', 'cli', { type: 'note_added', text: 'Rollback started <now>\nby the deploy bot' }],
  ['14:40', 'cli', { type: 'state_changed', from: 'identified', to: 'monitoring', reason: null }],
  ['14:55', 'cli', { type: 'severity_changed', from: 'SEV1', to: 'SEV2' }],
  ['15:00', 'cli', {
    type: 'action_item_added', item: 1, title: 'Test migrations on a copy', owner: 'cy',
    due: '2026-12-18',
  }],
  ['15:10', 'alertmanager', {
    type: 'alert_resolved', alert, endsAt: '2026-12-04T15:08:00.000Z',
  }],
  ['15:20', 'cli', { type: 'state_changed', from: 'monitoring', to: 'resolved', reason: 'fixed' }],
  ['15:30', 'cli', { type: 'role_assigned', role: 'commander', person: 'cy', previous: 'ana' }],
];

function at(time: string): string {
  return `2026-12-04T${time}:00.000Z`;
}

function makeRecord(overrides: Partial<Incident> = {}): IncidentRecord {
  const events: IncidentEvent[] = bodies.map(([time, source, body], index) => ({
    id: 100 + index, incident: 12, at: at(time), author: source === 'cli' ? 'ana' : 'srekit',
    source, body,
  }));
  const incident: Incident = {
    number: 12,
    reference: 'INC-12',
    title: 'Orders fail | 5xx',
    severity: 'SEV2',
    state: 'resolved',
    services: ['orders-api'],
    summary: 'Orders return 500.',
    roles: { commander: 'cy', communications: 'bo', owner: null },
    roleHistory: [
      { role: 'commander', person: 'ana', at: at('14:05') },
      { role: 'communications', person: 'bo', at: at('14:20') },
      { role: 'commander', person: 'cy', at: at('15:30') },
    ],
    milestones: {
      started: at('14:00'), detected: at('14:00'), acknowledged: at('14:05'),
      mitigated: at('14:40'), resolved: at('15:20'),
    },
    createdAt: at('14:00'),
    updatedAt: at('15:30'),
    nextUpdateDue: null,
    remindersSnoozedUntil: null,
    alertGroupKey: alert.groupKey,
    runbookUrls: ['https://runbooks.example/orders-5xx'],
    actionItems: [{
      item: 1, title: 'Test migrations on a copy', owner: 'cy', due: '2026-12-18', done: false,
    }],
    ...overrides,
  };
  return { incident, events };
}

/** Returns the `## ` headings of a Markdown text, in order. */
function secondLevelHeadings(markdown: string): string[] {
  return markdown.split('\n').filter((line) => line.startsWith('## ')).map((line) => line.trim());
}

/** Returns the lines of the section under `heading`, up to the next `## ` heading. */
function sectionOf(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `no section ${heading}`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

test('sections follow the template order', async () => {
  const template = await readFile(`${root}docs/postmortem-template.md`, 'utf8');
  const copied = template.slice(template.indexOf('\n---\n'));
  const draft = renderPostmortem(makeRecord(), now);

  assert.ok(copied.includes('\n# Postmortem: '));
  assert.ok(draft.startsWith('# Postmortem: Orders fail \\| 5xx\n'));
  assert.deepEqual(secondLevelHeadings(draft), secondLevelHeadings(copied));
});

test('impact shows durations from milestones', () => {
  const impact = sectionOf(renderPostmortem(makeRecord(), now), '## Impact');

  assert.match(impact,
    /\| duration of user impact \| 2026-12-04 14:00:00 to 2026-12-04 14:40:00 UTC, 40 min \|/);
  assert.match(impact, /\| time to detect \(started to detected\) \| 0 s \|/);
  assert.match(impact, /\| time to acknowledge \(started to acknowledged\) \| 5 min \|/);
  assert.match(impact, /\| time to mitigate \(started to mitigated\) \| 40 min \|/);
  assert.match(impact, /\| time to resolve \(started to resolved\) \| 1 h 20 min \|/);
  assert.match(impact, /\| affected services \| orders-api \|/);
});

test('missing milestones show as not recorded', () => {
  const record = makeRecord({
    state: 'investigating', milestones: { started: at('14:00') },
  });
  record.events = record.events.filter((event) => event.body.type !== 'state_changed');
  const impact = sectionOf(renderPostmortem(record, now), '## Impact');

  assert.match(impact, /\| time to acknowledge \(started to acknowledged\) \| not recorded \|/);
  assert.match(impact, /\| time to resolve \(started to resolved\) \| not recorded \|/);
  assert.match(impact, /\| duration of user impact \| \*\*TODO:\*\* not recorded \|/);
});

test('resolution falls back to the state change', () => {
  const record = makeRecord({ milestones: { started: at('14:00') } });
  const impact = sectionOf(renderPostmortem(record, now), '## Impact');

  assert.match(impact, /\| time to resolve \(started to resolved\) \| 1 h 20 min \|/);
});

test('time per severity follows severity changes', () => {
  const record = makeRecord();
  const periods = severityPeriods(record, now);
  const impact = sectionOf(renderPostmortem(record, now), '## Impact');

  assert.deepEqual(periods.map((period) => [period.severity, period.from, period.to]), [
    ['SEV2', at('14:00'), at('14:10')],
    ['SEV1', at('14:10'), at('14:55')],
    ['SEV2', at('14:55'), at('15:20')],
  ]);
  assert.deepEqual(timePerSeverity(periods), [
    { severity: 'SEV1', milliseconds: 45 * 60_000 },
    { severity: 'SEV2', milliseconds: 35 * 60_000 },
  ]);
  assert.ok(impact.includes([
    '### Time at each severity', '', '| severity | time |', '|---|---|',
    '| SEV1 | 45 min |', '| SEV2 | 35 min |',
  ].join('\n')), impact);
  assert.doesNotMatch(impact, /still open/);
});

test('open incident counts severity until now', () => {
  const record = makeRecord({ state: 'monitoring', milestones: { started: at('14:00') } });
  record.events = record.events.filter((event) => event.body.type !== 'state_changed');
  const impact = sectionOf(renderPostmortem(record, now), '## Impact');

  // 14:55 to 09:00 the next morning is 18 h 05 min at SEV2, plus the first 10 minutes.
  assert.match(impact, /\| SEV2 \| 18 h 15 min \|/);
  assert.match(impact, /The incident was still open when this draft was written\./);
});

test('timeline lists every event', () => {
  const record = makeRecord();
  const timeline = sectionOf(renderPostmortem(record, now), '## Timeline (UTC)');
  const rows = timeline.split('\n').filter((line) => /^\| 2026-/.test(line));

  assert.equal(rows.length, record.events.length);
  for (const [index, event] of record.events.entries()) {
    assert.ok(rows[index]?.startsWith(`| ${formatTimestamp(event.at)} |`), `row ${index}`);
    assert.ok(rows[index]?.endsWith(`| ${event.author} (${event.source}) |`), `row ${index}`);
  }
  assert.match(rows[0] ?? '', /Declared "Orders fail \\\| 5xx" as SEV2, affecting orders-api/);
  assert.match(rows[1] ?? '', /Alert HighErrorRatio firing since 2026-12-04 13:58:00/);
  assert.match(rows[2] ?? '', /ana became Incident Commander\./);
  assert.match(rows[3] ?? '', /Severity changed from SEV2 to SEV1\./);
  assert.ok(rows[5]?.includes(
    'Public update: Orders are failing. Next update due 2026-12-04 14:55:00.'), rows[5]);
  assert.match(rows[6] ?? '', /Note: Rollback started &lt;now&gt;<br>by the deploy bot/);
  assert.match(rows[7] ?? '', /State changed from identified to monitoring\./);
  assert.ok(rows[9]?.includes(
    'Action item 1 added: Test migrations on a copy (owner cy, due 2026-12-18).'), rows[9]);
  assert.match(rows[10] ?? '', /Alert HighErrorRatio resolved at 2026-12-04 15:08:00\./);
  assert.ok(rows[11]?.includes(
    'State changed from monitoring to resolved: fixed. **Resolved.**'), rows[11]);
  assert.match(rows[12] ?? '', /cy became Incident Commander, replacing ana\./);
});

test('timeline orders events by time', () => {
  const record = makeRecord();
  const shuffled = { ...record, events: [...record.events].reverse() };

  assert.equal(renderPostmortem(shuffled, now), renderPostmortem(record, now));
});

test('responders list every role assignment', () => {
  const timeline = sectionOf(renderPostmortem(makeRecord(), now), '## Timeline (UTC)');

  assert.ok(timeline.includes(
    '| Incident Commander | ana | 2026-12-04 14:05:00 | 2026-12-04 15:30:00 |'), timeline);
  assert.match(timeline, /\| Communications lead \| bo \| 2026-12-04 14:20:00 \| the end \|/);
  assert.match(timeline, /\| Incident Commander \| cy \| 2026-12-04 15:30:00 \| the end \|/);
});

test('corrective actions list action items', () => {
  const actions = sectionOf(renderPostmortem(makeRecord(), now), '## Corrective actions');

  assert.match(actions,
    /\| Test migrations on a copy \| \*\*TODO:\*\* \| cy \| 2026-12-18 \| no \| \*\*TODO:\*\* \|/);
});

test('analysis sections carry a TODO marker', () => {
  const draft = renderPostmortem(makeRecord(), now);
  const headings = [
    '## Summary', '## Root cause', '## Contributing factors', '## What went well',
    '## What went badly', '## Where we got lucky', '## Learning items',
  ];

  for (const heading of headings) {
    assert.ok(sectionOf(draft, heading).includes(todoMarker), heading);
  }
  assert.match(draft, /> Blameless:/);
  assert.match(draft, /\| status \| draft \|/);
  assert.match(draft, /\| incident \| INC-12, SEV2 \|/);
  assert.match(draft, /\| date \| 2026-12-04 \|/);
});

test('draft is deterministic', () => {
  assert.equal(renderPostmortem(makeRecord(), now), renderPostmortem(makeRecord(), now));
});

test('invalid postmortem input is rejected', () => {
  const record = makeRecord();
  const first = record.events[0];
  assert.ok(first);
  const foreign = { ...record, events: [...record.events, { ...first, id: 999, incident: 3 }] };

  assert.throws(() => renderPostmortem(record, new Date('nope')),
    assertSrekitError('INVALID_INPUT', /`now` is an invalid date/));
  assert.throws(() => renderPostmortem(foreign, now),
    assertSrekitError('INVALID_INPUT', /event 999 belongs to incident 3/));
});

test('durations format in readable units', () => {
  const cases: Array<[number, string]> = [
    [0, '0 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [47 * 60_000 + 30_000, '47 min'],
    [2 * 3_600_000 + 5 * 60_000, '2 h 05 min'],
    [27 * 3_600_000, '1 d 3 h 00 min'],
  ];
  for (const [milliseconds, expected] of cases) {
    assert.equal(formatDuration(milliseconds), expected, String(milliseconds));
  }
});
