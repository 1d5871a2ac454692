import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Incident, IncidentEvent, IncidentEventBody } from './model.js';
import {
  buildSlackMessage, slackLimits, type SlackBlock, type SlackMessage,
} from './slack-message.js';
import { escapeSlackText, fitEscaped, formatLink } from './slack-message-text.js';

function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    number: 3,
    reference: 'INC-3',
    title: 'Checkout returns 500',
    severity: 'SEV1',
    state: 'investigating',
    services: ['orders-api'],
    summary: null,
    roles: { commander: 'alice', communications: 'bob', owner: null },
    roleHistory: [],
    milestones: {},
    createdAt: '2026-12-04T20:00:00.000Z',
    updatedAt: '2026-12-04T20:00:00.000Z',
    nextUpdateDue: '2026-12-04T20:30:00.000Z',
    remindersSnoozedUntil: null,
    alertGroupKey: null,
    runbookUrls: [],
    actionItems: [],
    ...overrides,
  };
}

function event(body: IncidentEventBody, id = 10): IncidentEvent {
  return { id, incident: 3, at: '2026-12-04T20:05:00.000Z', author: 'alice', source: 'cli', body };
}

const resolvedBody: IncidentEventBody = {
  type: 'state_changed', from: 'monitoring', to: 'resolved', reason: null,
};

function publicUpdate(text: string): IncidentEventBody {
  return { type: 'status_update', audience: 'public', text, nextUpdateDue: null };
}

function build(body: IncidentEventBody, overrides: Partial<Incident> = {}): SlackMessage {
  const message = buildSlackMessage(event(body), incident(overrides));
  assert.ok(message !== null, `expected a message for ${body.type}`);
  return message;
}

function blockText(block: SlackBlock | undefined): string {
  if (block === undefined) return '';
  if (block.type === 'context') return block.elements.map((element) => element.text).join(' ');
  return block.text.text;
}

function allText(message: SlackMessage): string {
  return message.blocks.map(blockText).join('\n');
}

function assertWithinLimits(message: SlackMessage): void {
  assert.ok(message.blocks.length <= slackLimits.blocks, `${message.blocks.length} blocks`);
  for (const block of message.blocks) {
    const limit = block.type === 'header' ? slackLimits.headerChars : slackLimits.sectionChars;
    assert.ok(blockText(block).length <= limit, `${block.type} of ${blockText(block).length}`);
  }
  assert.ok(message.text.length <= slackLimits.fallbackChars);
}

test('status update of 10,000 characters is cut and marked', () => {
  const message = build(publicUpdate('x'.repeat(10_000)));

  assertWithinLimits(message);
  const update = blockText(message.blocks[1]);
  assert.equal(update.length, slackLimits.sectionChars);
  assert.ok(update.endsWith('…'));
  assert.match(allText(message), /Shortened to fit Slack's message limits/);
  assert.match(allText(message), /srekit incident show INC-3/);
});

test('title of 300 characters fits the header', () => {
  const message = build(publicUpdate('ok'), { title: 't'.repeat(300) });

  assertWithinLimits(message);
  const header = message.blocks[0];
  assert.equal(header?.type, 'header');
  assert.equal(blockText(header).length, slackLimits.headerChars);
  assert.ok(blockText(header).startsWith('INC-3 SEV1: ttt'));
  assert.ok(blockText(header).endsWith('…'));
  assert.match(allText(message), /Shortened to fit/);
});

test('resolution with 60 timeline entries stays under 50 blocks', () => {
  const timeline = Array.from({ length: 60 }, (_, index) =>
    event({ type: 'note_added', text: `step ${index + 1}` }, index + 1));
  const resolved = event(resolvedBody, 61);
  const message = buildSlackMessage(resolved, incident({ state: 'resolved' }), { timeline });

  assert.ok(message !== null);
  assertWithinLimits(message);
  assert.equal(message.blocks.length, slackLimits.blocks);
  assert.match(allText(message), /step 1\b/);
  assert.doesNotMatch(allText(message), /step 60/);
  const note = blockText(message.blocks.at(-1));
  assert.match(note, /(\d+) later timeline entries are not shown/);
  const shown = message.blocks.filter((block) => /step \d+/.test(blockText(block))).length;
  assert.equal(Number(/(\d+) later/.exec(note)?.[1]), 60 - shown);
});

test('short resolution lists its timeline without a note', () => {
  const timeline = [event({ type: 'note_added', text: 'restarted db' }, 1)];
  const resolved = event(resolvedBody, 2);
  const message = buildSlackMessage(resolved, incident({ state: 'resolved' }), { timeline });

  assert.ok(message !== null);
  assert.match(allText(message), /\*Incident resolved\*/);
  assert.match(allText(message), /restarted db/);
  assert.doesNotMatch(allText(message), /Shortened/);
});

test('user text is escaped in blocks and fallback', () => {
  const message = build(publicUpdate('<!channel> a & b > c'), { title: 'x <@U123> y' });

  assert.match(allText(message), /&lt;!channel&gt; a &amp; b &gt; c/);
  assert.match(blockText(message.blocks[0]), /x &lt;@U123&gt; y/);
  assert.doesNotMatch(allText(message), /<!channel>|<@U123>/);
  assert.match(message.text, /&lt;!channel&gt; a &amp; b &gt; c/);
  assert.doesNotMatch(message.text, /<!channel>/);
});

test('fallback text names reference, severity, state and update', () => {
  const message = build(publicUpdate('Payments recovered'));

  assert.match(message.text, /^INC-3 SEV1 \(investigating\) Checkout returns 500: /);
  assert.match(message.text, /Public status update/);
  assert.match(message.text, /Payments recovered/);
});

test('facts line shows state, severity, roles and next update', () => {
  const facts = blockText(build(publicUpdate('ok')).blocks[2]);

  assert.match(facts, /\*State:\* investigating/);
  assert.match(facts, /\*Severity:\* SEV1/);
  assert.match(facts, /\*IC:\* alice/);
  assert.match(facts, /\*Comms:\* bob/);
  assert.match(facts, /\*Next update due:\* 2026-12-04 20:30 UTC/);
});

test('runbook link is included and cannot inject markup', () => {
  const urls = ['https://runbooks.example/db|evil?a=1&b=<2>', 'javascript:alert(1)'];
  const text = allText(build(publicUpdate('ok'), { runbookUrls: urls }));

  assert.match(text, /<https:\/\/runbooks\.example\/db%7Cevil\?a=1&amp;b=%3C2%3E\|1>/);
  assert.match(text, /`javascript:alert\(1\)`/);
});

const announced: [string, IncidentEventBody][] = [
  ['declared', {
    type: 'declared', title: 'x', severity: 'SEV2', services: ['orders-api'], summary: 'slow',
    alertGroupKey: null,
  }],
  ['state_changed', {
    type: 'state_changed', from: 'triage', to: 'identified', reason: 'found it',
  }],
  ['severity_changed', { type: 'severity_changed', from: 'SEV2', to: 'SEV1' }],
  ['role_assigned', {
    type: 'role_assigned', role: 'communications', person: 'carol', previous: 'bob',
  }],
  ['internal update', {
    type: 'status_update', audience: 'internal', text: 'db', nextUpdateDue: null,
  }],
  ['alert_firing', { type: 'alert_firing', alert: {
    fingerprint: 'f1', alertname: 'HighErrorRatio', startsAt: '2026-12-04T20:00:00.000Z',
    labels: {}, annotations: { summary: 'errors above 5%' }, groupKey: 'g',
  } }],
  ['reminder_sent', { type: 'reminder_sent', role: 'communications', person: 'bob',
    due: '2026-12-04T20:30:00.000Z' }],
];

for (const [name, body] of announced) {
  test(`${name} event is announced`, () => {
    const message = build(body);
    assert.ok(message.blocks.length >= 3);
    assert.ok(message.text.length > 0);
  });
}

test('event headlines carry the change', () => {
  assert.match(allText(build(announced[2]![1])), /Severity changed from SEV2 to SEV1/);
  assert.match(allText(build(announced[3]![1])), /Communications lead: carol \(replacing bob\)/);
  assert.match(allText(build(announced[5]![1])), /Alert firing: HighErrorRatio\*\nerrors above 5%/);
  const reminder = allText(build(announced[6]![1]));
  assert.match(reminder, /Communications lead bob: .*due at 2026-12-04 20:30 UTC/);
});

test('notes, milestones and action items are not announced', () => {
  const quiet: IncidentEventBody[] = [
    { type: 'note_added', text: 'looking at the db' },
    { type: 'milestone_recorded', milestone: 'mitigated', at: '2026-12-04T20:10:00.000Z' },
    { type: 'action_item_added', item: 1, title: 'add alert', owner: 'bob', due: '2026-12-11' },
    { type: 'reminders_snoozed', until: '2026-12-04T21:00:00.000Z' },
  ];
  for (const body of quiet) {
    assert.equal(buildSlackMessage(event(body), incident()), null, body.type);
  }
});

test('notes are announced when asked', () => {
  const note = event({ type: 'note_added', text: 'looking at the db' });
  const message = buildSlackMessage(note, incident(), { announceNotes: true });
  assert.ok(message !== null);
  assert.match(allText(message), /looking at the db/);
});

test('cut never splits an entity or a surrogate pair', () => {
  assert.equal(fitEscaped('ab&c', 5).text, 'ab…');
  assert.equal(fitEscaped('abc😀d', 5).text, 'abc…');
  assert.deepEqual(fitEscaped('a&b', 7), { text: 'a&amp;b', truncated: false });
});

test('escaping covers the three markup characters', () => {
  assert.equal(escapeSlackText('<a&b>'), '&lt;a&amp;b&gt;');
  assert.equal(formatLink('ftp://x', 'open'), '`ftp://x`');
});
