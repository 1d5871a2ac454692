import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stopProcessGroup } from '../src/common/process.js';
import type { Incident, IncidentEvent, IncidentState, Severity } from '../src/incident/model.js';
import {
  buildStatusView, collectPublicUpdates, exportStatusPage,
} from '../src/incident/status-page.js';

const chromiumPath = '/usr/bin/chromium';
const chromiumTimeoutMs = 60_000;
const now = new Date('2026-12-04T20:00:00.000Z');

/**
 * Flags that keep headless Chromium's own background requests off. The host
 * resolver rule makes every host name lookup fail, so neither the page nor
 * the browser can reach a named server.
 */
const quietFlags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--no-default-browser-check', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-extensions',
  '--host-resolver-rules=MAP * ~NOTFOUND',
];

async function chromiumInstalled(): Promise<boolean> {
  try {
    await access(chromiumPath);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs Chromium in its own process group with a fresh profile directory and
 * returns its stdout. The whole group is stopped afterwards, and also on
 * timeout, so no Chromium helper process outlives the test.
 */
async function runChromium(args: string[], profileDir: string): Promise<string> {
  const child = spawn(chromiumPath, [...quietFlags, `--user-data-dir=${profileDir}`, ...args], {
    detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  assert.ok(pid !== undefined, 'chromium did not start');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const timer = setTimeout(() => { void stopProcessGroup(pid, 1_000); }, chromiumTimeoutMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    // Chromium prints dbus and GPU warnings on stderr even when it succeeds.
    assert.equal(code, 0, `chromium exited with ${code}: ${stderr.slice(-2_000)}`);
    return stdout;
  } finally {
    clearTimeout(timer);
    await stopProcessGroup(pid, 1_000);
  }
}

function makeIncident(
  number: number, title: string, severity: Severity, state: IncidentState, services: string[],
  milestones: Incident['milestones'],
): Incident {
  return {
    number, reference: `INC-${number}`, title, severity, state, services, summary: null,
    roles: { commander: 'ana', communications: null, owner: null },
    roleHistory: [], milestones,
    createdAt: milestones.started ?? '2026-12-04T18:00:00.000Z',
    updatedAt: '2026-12-04T19:30:00.000Z',
    nextUpdateDue: null, remindersSnoozedUntil: null, alertGroupKey: null, runbookUrls: [],
    actionItems: [],
  };
}

function makeUpdate(
  id: number, incident: number, at: string, audience: 'public' | 'internal', text: string,
): IncidentEvent {
  return {
    id, incident, at, author: 'bo', source: 'cli',
    body: { type: 'status_update', audience, text, nextUpdateDue: null },
  };
}

/** Two open incidents, SEV1 and SEV3, and one resolved yesterday. */
function buildExampleView() {
  const incidents = [
    makeIncident(1, 'Orders cannot be placed', 'SEV1', 'identified', ['orders-api'],
      { started: '2026-12-04T18:40:00.000Z' }),
    makeIncident(2, 'Search results are slow', 'SEV3', 'investigating', ['search'],
      { started: '2026-12-04T19:10:00.000Z' }),
    makeIncident(3, 'Payment confirmations delayed', 'SEV2', 'resolved', ['payments'],
      { started: '2026-12-03T09:00:00.000Z', resolved: '2026-12-03T10:15:00.000Z' }),
  ];
  const events = [
    makeUpdate(1, 1, '2026-12-04T18:50:00.000Z', 'public',
      'We found the cause of failed orders and are rolling back a change.'),
    makeUpdate(2, 1, '2026-12-04T19:05:00.000Z', 'internal', 'Rollback of build 4711 on db01'),
    makeUpdate(3, 2, '2026-12-04T19:15:00.000Z', 'public', 'Search is slower than usual.'),
    makeUpdate(4, 3, '2026-12-03T10:20:00.000Z', 'public', 'Payments are confirmed again.'),
  ];
  return buildStatusView(incidents, {
    components: ['orders-api', 'payments', 'search', 'login'], now, title: 'Shop status',
    publicUpdates: collectPublicUpdates(events),
  });
}

/** Reads the width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

test('chromium renders the exported status page', { timeout: 180_000 }, async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip(`${chromiumPath} is missing; install the Debian package chromium to run this test`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'srekit-status-chromium-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pageDir = join(dir, 'site');
  await exportStatusPage(buildExampleView(), pageDir);
  const pageUrl = pathToFileURL(join(pageDir, 'index.html')).href;

  const dom = await runChromium(['--dump-dom', pageUrl], join(dir, 'profile-dom'));
  const componentStates: Array<[string, string, string]> = [
    ['orders-api', 'major_outage', 'Major outage'],
    ['payments', 'operational', 'Operational'],
    ['search', 'degraded_performance', 'Degraded performance'],
    ['login', 'operational', 'Operational'],
  ];
  for (const [name, state, label] of componentStates) {
    assert.ok(dom.includes(`<span class="name">${name}</span>`
      + `<span class="state ${state}">${label}</span>`), `${name} is not ${label}`);
  }
  assert.match(dom, /<div class="banner major_outage">Major outage<\/div>/);
  for (const title of [
    'Orders cannot be placed', 'Search results are slow', 'Payment confirmations delayed',
  ]) {
    assert.ok(dom.includes(`<h3>${title}</h3>`), `missing incident ${title}`);
  }
  assert.match(dom, /We found the cause of failed orders/);
  assert.doesNotMatch(dom, /build 4711/);
  assert.match(dom, /Generated at 2026-12-04 20:00 UTC/);

  const wide = join(dir, 'wide.png');
  await runChromium([`--screenshot=${wide}`, '--window-size=1200,900', pageUrl],
    join(dir, 'profile-wide'));
  const widePng = await readFile(wide);
  assert.deepEqual(pngSize(widePng), { width: 1200, height: 900 });
  assert.ok(widePng.length > 20_000, `screenshot is only ${widePng.length} bytes`);

  const narrow = join(dir, 'phone.png');
  await runChromium([`--screenshot=${narrow}`, '--window-size=390,844', pageUrl],
    join(dir, 'profile-phone'));
  assert.deepEqual(pngSize(await readFile(narrow)), { width: 390, height: 844 });
  assert.ok((await stat(narrow)).size > 10_000, 'phone screenshot is too small');

  // Set SREKIT_KEEP_SCREENSHOTS to a directory to look at the screenshots.
  const keep = process.env.SREKIT_KEEP_SCREENSHOTS;
  if (keep !== undefined && keep !== '') {
    await mkdir(keep, { recursive: true });
    await copyFile(wide, join(keep, 'status-wide.png'));
    await copyFile(narrow, join(keep, 'status-phone.png'));
  }
});
