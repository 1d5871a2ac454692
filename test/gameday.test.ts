import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/cli.js';
import { ExitCode } from '../src/common/exit-codes.js';
import { renderMarkdown, reportPassed, runGameday, type GamedayReport } from '../src/gameday/index.js';
import { captureIo } from './helpers/io.js';
import { freeBasePort, freeStackPorts } from './helpers/stack-ports.js';

const cli = fileURLToPath(new URL('../src/bin.js', import.meta.url));

function processesMentioning(text: string): string[] {
  const output = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return output.split('\n').filter((line) => line.includes(text));
}

test('game day detects every fault', { timeout: 300_000 }, async (t) => {
  const workdir = mkdtempSync(join(tmpdir(), 'srekit-gameday-'));
  t.after(() => rmSync(workdir, { recursive: true, force: true }));
  const progress: string[] = [];
  const report: GamedayReport = await runGameday({
    workdir,
    profile: 'gameday',
    requestsPerSecond: 50,
    ports: await freeStackPorts(),
    keepStack: false,
    onEvent: (event) => {
      if (event.type === 'progress') progress.push(event.message);
    },
  });

  assert.equal(report.error, undefined);
  assert.deepEqual(report.checks.map((check) => `${check.scenario} ${check.name}`), [
    'a InstanceDown firing at the page receiver',
    'b SloErrorBudgetBurn{tier="fast"} firing at the page receiver',
    'b SloErrorBudgetBurn{tier="fast"} opened an incident',
    'b incident of SloErrorBudgetBurn{tier="fast"} links its runbook',
    'b SloErrorBudgetBurn{tier="fast"} opened one incident for repeated deliveries',
    'c HighErrorRatio inhibited at Alertmanager',
    'd HighErrorRatio resolved at Alertmanager',
    'e InstanceDown resolved at the page receiver',
    'e SloErrorBudgetBurn{tier="fast"} resolved at the page receiver',
    'e incident of SloErrorBudgetBurn{tier="fast"} moved to monitoring',
    'e HighErrorRatio not sent to the page receiver',
    'f HighLatencyP95 firing at the warn receiver',
    'g HighLatencyP95 resolved at the warn receiver',
    'h service reads orders again within the RTO',
    'h data loss window within the RPO of class db',
    'h restored database passes integrity_check',
    'h restored database contains the backed-up orders',
    'h orders from before the backup read back',
  ]);
  for (const check of report.checks) {
    if (check.expectedValue !== undefined) {
      assert.ok(check.observedValue !== undefined, `${check.name}: nothing observed`);
    } else if (check.expectedMaxSeconds === undefined) {
      assert.equal(check.observedSeconds, undefined, `${check.name}: a notification arrived`);
    } else {
      assert.ok(check.observedSeconds !== undefined, `${check.name}: not seen`);
      assert.ok(check.observedSeconds <= check.expectedMaxSeconds, `${check.name}: `
        + `${check.observedSeconds} s is over the bound ${check.expectedMaxSeconds} s`);
    }
    assert.equal(check.passed, true, check.name);
  }
  assert.equal(reportPassed(report), true);
  assert.equal(report.profile.name, 'gameday');

  // The injected failures show in the traffic, below the injected share overall.
  const failures = report.traffic.byStatus['500'] ?? 0;
  assert.ok(failures > 0, 'no request failed during the error scenario');
  assert.ok(failures < report.traffic.sent * 0.3, `${failures} of ${report.traffic.sent} failed`);

  // The burn opened one incident, which links the runbook of the alert, and
  // its timeline runs from the page to the move to monitoring.
  const byName = new Map(report.checks.map((check) => [check.name, check]));
  const runbook = byName.get('incident of SloErrorBudgetBurn{tier="fast"} links its runbook');
  assert.equal(runbook?.observedValue, '/runbooks/slo-error-budget-burn.md');
  assert.equal(byName.get('SloErrorBudgetBurn{tier="fast"} opened one incident for repeated '
    + 'deliveries')?.observedValue, '1 incident, 0 new events');
  const incident = report.incidents?.followed[0];
  assert.ok(incident, 'the report has no incident');
  assert.equal(report.incidents?.followed.length, 1);
  assert.match(incident.reference, /^INC-\d+$/);
  assert.equal(incident.state, 'monitoring');
  assert.ok(incident.openedAfterSeconds > 0, `opened ${incident.openedAfterSeconds} s after`);
  assert.equal(incident.runbookUrls.length, 1);
  assert.match(incident.runbookUrls[0] ?? '',
    /^http:\/\/127\.0\.0\.1:\d+\/runbooks\/slo-error-budget-burn\.md$/);
  const events = incident.timeline.map((entry) => entry.event);
  assert.match(events[0] ?? '', /^declared "/);
  assert.ok(events.some((event) => event.startsWith('SloErrorBudgetBurn firing since ')));
  assert.ok(events.some((event) => event.startsWith('SloErrorBudgetBurn resolved at ')));
  assert.match(events.at(-1) ?? '', /^triage → monitoring: /);
  assert.deepEqual([...new Set(incident.timeline.map((entry) => entry.source))],
    ['alertmanager']);

  // The restore takes seconds, far inside the 30-minute RTO and 15-minute RPO.
  const restore = report.checks.filter((check) => check.scenario === 'h');
  assert.equal(restore[0]?.expectedMaxSeconds, 1800);
  assert.ok((restore[0]?.observedSeconds ?? Infinity) < 20, 'the restore took 20 s or more');
  assert.equal(restore[1]?.expectedMaxSeconds, 900);
  assert.ok((restore[1]?.observedSeconds ?? Infinity) < 20, 'the backup was 20 s old or more');
  assert.equal(restore[2]?.observedValue, 'ok');
  assert.match(restore[3]?.observedValue ?? '', /^[1-9]\d* orders$/);
  assert.equal(restore[4]?.observedValue, '10 of 10');

  assert.ok(progress.some((line) => line.startsWith('scenario a: node-exporter stops')));
  assert.ok(progress.some((line) => line.startsWith('scenario h: the orders database')));
  assert.deepEqual(processesMentioning(workdir), [], 'a stack process outlived the game day');
  assert.equal(existsSync(join(workdir, 'state.json')), false);

  const markdown = renderMarkdown(report);
  assert.match(markdown, /Profile: `gameday`/);
  assert.match(markdown, /\| a \| InstanceDown firing at the page receiver \| ≤ \d+\.\d s \| \d+\.\d s \| pass \|/);
  assert.match(markdown, /\| h \| restored database passes integrity_check \| ok \| ok \| pass \|/);
  assert.ok(markdown.includes(`### ${incident.reference}: `), 'the report names the incident');
  assert.match(markdown, /\| time \(UTC\) \| source \| event \|\n\|---\|---\|---\|\n\| \d\d:\d\d:/);
});

test('unknown profile starts nothing', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'srekit-gameday-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const workdir = join(parent, 'stack');
  const reportPath = join(workdir, 'report.md');
  const io = captureIo();
  const code = await run(
    ['gameday', '--profile', 'fast', '--workdir', workdir, '--report', reportPath], io);
  assert.equal(code, ExitCode.usage);
  assert.match(io.err(), /argument 'fast' is invalid\. Allowed choices are gameday, production/);
  assert.equal(existsSync(workdir), false);
});

test('zero traffic rate is rejected', async () => {
  const io = captureIo();
  const code = await run(['gameday', '--rate', '0'], io);
  assert.equal(code, ExitCode.usage);
  assert.match(io.err(), /invalid rate "0"/);
});

test('rate below the minimum starts nothing', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'srekit-gameday-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const workdir = join(parent, 'stack');
  const io = captureIo();
  const code = await run(['gameday', '--rate', '20', '--workdir', workdir, '--report', '-'], io);
  assert.equal(code, ExitCode.usage);
  assert.match(io.err(), /invalid rate 20: the fast-burn scenario needs at least 50 requests per second with the gameday profile/);
  assert.match(io.err(), /pass --rate 50 or more/);
  assert.equal(existsSync(workdir), false);
});

test('failed check fails the report', () => {
  const failed: GamedayReport = {
    startedAt: new Date(0),
    finishedAt: new Date(60_000),
    profile: { name: 'gameday', scrapeInterval: 1, evaluationInterval: 1 },
    scenarios: [{ id: 'a', title: 'node-exporter stops' }],
    checks: [{
      scenario: 'a',
      name: 'InstanceDown firing at the page receiver',
      expectedMaxSeconds: 10,
      observedSeconds: undefined,
      passed: false,
    }],
    traffic: { sent: 0, byStatus: {}, transportErrors: 0, skipped: 0 },
  };
  assert.equal(reportPassed(failed), false);
  assert.match(renderMarkdown(failed), /\| a \| InstanceDown firing at the page receiver \| ≤ 10\.0 s \| not seen \| FAIL \|/);
  assert.equal(reportPassed({ ...failed, checks: [] }), false);
});

test('report path that is a directory is rejected', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'srekit-gameday-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const workdir = join(parent, 'stack');
  const io = captureIo();
  const code = await run(['gameday', '--workdir', workdir, '--report', parent], io);
  assert.equal(code, ExitCode.usage);
  assert.match(io.err(), /invalid --report .*: it is a directory \[INVALID_INPUT\]/);
  assert.equal(existsSync(workdir), false);
  assert.equal(existsSync(`${parent}.tmp`), false);
});

test('report in a missing directory is rejected', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'srekit-gameday-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const io = captureIo();
  const code = await run(['gameday', '--workdir', join(parent, 'stack'),
    '--report', join(parent, 'missing', 'report.md')], io);
  assert.equal(code, ExitCode.usage);
  assert.match(io.err(), /cannot create a file in .*missing \(ENOENT\)/);
  assert.equal(existsSync(join(parent, 'stack')), false);
});

test('interrupted game day stops the stack', { timeout: 120_000 }, async (t) => {
  const workdir = mkdtempSync(join(tmpdir(), 'srekit-gameday-'));
  t.after(() => rmSync(workdir, { recursive: true, force: true }));
  const reportPath = join(workdir, 'report.md');
  const child = spawn(process.execPath, [cli, 'gameday', '--workdir', join(workdir, 'stack'),
    '--report', reportPath, '--base-port', String(await freeBasePort())],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let interrupted = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    // One signal only: a second one during the clean-up ends the process at once.
    if (!interrupted && stderr.includes('scenario a:')) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));

  assert.equal(exitCode, ExitCode.failure, stderr);
  assert.match(stderr, /stopped early: srekit gameday was interrupted by SIGINT/);
  assert.deepEqual(processesMentioning(workdir), [], 'a stack process outlived the interruption');
  assert.equal(existsSync(join(workdir, 'stack', 'state.json')), false);
  assert.match(readFileSync(reportPath, 'utf8'), /Stopped early: srekit gameday was interrupted/);
});

test('empty workdir is rejected', async () => {
  const io = captureIo();
  const code = await run(['gameday', '--workdir', '', '--report', '-'], io);
  assert.equal(code, ExitCode.usage);
  assert.match(io.err(), /invalid --workdir: empty/);
});
