import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeEvent, formatIncidentLines, renderIncidentsMarkdown, type IncidentsSeen,
} from './incident-report.js';

const alert = {
  fingerprint: 'a1b2',
  alertname: 'SloErrorBudgetBurn',
  startsAt: '2026-12-04T21:22:52.570Z',
  labels: { alertname: 'SloErrorBudgetBurn', tier: 'fast' },
  annotations: {},
  groupKey: '{}:{alertname="SloErrorBudgetBurn"}',
};

const seen: IncidentsSeen = {
  followed: [{
    scenario: 'b',
    alert: 'SloErrorBudgetBurn{tier="fast"}',
    reference: 'INC-2',
    title: 'errors | budget',
    state: 'monitoring',
    openedAfterSeconds: 11.64,
    runbookUrls: ['http://127.0.0.1:19095/runbooks/slo-error-budget-burn.md'],
    timeline: [
      { at: '2026-12-04T21:22:53.585Z', source: 'alertmanager', event: 'declared "a|b" as SEV2' },
      { at: '2026-12-04T21:23:27.590Z', source: 'alertmanager', event: 'triage → monitoring' },
    ],
  }],
  others: [{ reference: 'INC-1', title: 'node target is down', state: 'monitoring' }],
};

test('incident section shows the timeline', () => {
  const markdown = renderIncidentsMarkdown(seen).join('\n');
  assert.match(markdown, /^## Incidents\n\n### INC-2: errors \\\| budget\n/);
  assert.match(markdown, /- Opened by SloErrorBudgetBurn\{tier="fast"\} in scenario b, 11\.6 s after/);
  assert.match(markdown, /- Runbook: http:\/\/127\.0\.0\.1:19095\/runbooks\/slo-error-budget-burn\.md\n/);
  assert.match(markdown,
    /\| 21:22:53\.585 \| alertmanager \| declared "a\\\|b" as SEV2 \|\n\| 21:23:27\.590 \|/);
  assert.match(markdown, /- INC-1: node target is down \(monitoring\)/);
});

test('incident section is empty without incidents', () => {
  assert.deepEqual(renderIncidentsMarkdown(undefined), []);
  assert.deepEqual(formatIncidentLines(undefined), []);
  const none = renderIncidentsMarkdown({ followed: [], others: [] });
  assert.deepEqual(none, ['## Incidents', '']);
});

test('terminal line names the incident', () => {
  assert.deepEqual(formatIncidentLines(seen), ['incident INC-2 opened by '
    + 'SloErrorBudgetBurn{tier="fast"} 11.6 s after the fault of scenario b, 2 timeline events, '
    + 'now monitoring']);
});

test('event times show the time of day', () => {
  assert.equal(describeEvent({ type: 'alert_firing', alert }),
    'SloErrorBudgetBurn firing since 21:22:52.570');
  // Alertmanager drops trailing zeros and may write nanoseconds.
  assert.equal(describeEvent({ type: 'alert_resolved', alert, endsAt: '2026-12-04T21:23:27.57Z' }),
    'SloErrorBudgetBurn resolved at 21:23:27.570');
  assert.equal(describeEvent({
    type: 'alert_resolved', alert, endsAt: '2026-12-04T21:23:27.123456789Z',
  }), 'SloErrorBudgetBurn resolved at 21:23:27.123');
  assert.equal(describeEvent({
    type: 'state_changed', from: 'triage', to: 'monitoring', reason: null,
  }), 'triage → monitoring');
  assert.equal(describeEvent({ type: 'action_item_done', item: 3 }), 'action item done');
});
