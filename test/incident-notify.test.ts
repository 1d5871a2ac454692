import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { openIncidentDatabase } from '../src/incident/database.js';
import { systemClock, type Actor, type Clock } from '../src/incident/service-api.js';
import {
  startNotifiers, type NotifierOptions, type RunningNotifiers,
} from '../src/incident/notify.js';
import { slackNotifierName } from '../src/incident/notify-slack.js';
import { sendDueReminders } from '../src/incident/reminders.js';
import { assertSrekitError } from './helpers/errors.js';
import { startPostgres } from './helpers/postgres.js';
import type { SlackMessage } from '../src/incident/slack-message.js';
import { createIncidentService, type IncidentStore } from '../src/incident/store.js';

const cli: Actor = { author: 'alice', source: 'cli' };

/** One request the fake Slack webhook received, with the status it returned. */
interface SlackRequest {
  message: SlackMessage;
  status: number;
  /** performance.now() when the request body had arrived. */
  receivedAt: number;
}

/** Returns the status and headers of the response to request number `index` (0-based). */
type Responder = (index: number) => { status: number; headers?: Record<string, string> };

/** A loopback HTTP server standing in for a Slack incoming webhook. */
interface FakeSlack {
  url: string;
  requests: SlackRequest[];
  /** Messages that got a 200 response, in arrival order. */
  accepted(): SlackMessage[];
  close(): Promise<void>;
}

async function startFakeSlack(respond: Responder = () => ({ status: 200 })): Promise<FakeSlack> {
  const requests: SlackRequest[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = respond(requests.length);
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackMessage;
      requests.push({ message, status: reply.status, receivedAt: performance.now() });
      response.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      response.end(reply.status === 200 ? 'ok' : 'invalid_payload');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/secret`,
    requests,
    accepted: () => requests.filter((entry) => entry.status === 200).map((entry) => entry.message),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A clock that moves only when the test sets it. */
class FakeClock implements Clock {
  constructor(private current: number) {}

  now(): Date {
    return new Date(this.current);
  }

  set(iso: string): void {
    this.current = Date.parse(iso);
  }
}

/** A SQLite incident database in a temporary directory, reopened on demand like after a restart. */
interface Harness {
  dir: string;
  logger: Logger;
  logs(): Record<string, unknown>[];
  /** Opens the database and returns a new service on it. */
  open(clock?: Clock): Promise<IncidentStore>;
  /** Starts notifiers on `store`; they are stopped at the end of the test. */
  notify(store: IncidentStore, options: Partial<NotifierOptions>): RunningNotifiers;
}

/** Runs `run` on a SQLite database in a new temporary directory, or on `databaseUrl`. */
async function withHarness(
  run: (harness: Harness) => Promise<void>, databaseUrl?: string,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-notify-'));
  const url = databaseUrl ?? `sqlite:${join(dir, 'incidents.sqlite')}`;
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const stores: IncidentStore[] = [];
  const notifiers: RunningNotifiers[] = [];
  const harness: Harness = {
    dir,
    logger,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    open: async (clock) => {
      const db = await openIncidentDatabase(url, logger);
      const store = createIncidentService(db, { clock });
      stores.push(store);
      return store;
    },
    notify: (store, options) => {
      const running = startNotifiers({
        store, clock: systemClock, logger, pollIntervalMs: 20,
        reminderIntervalMs: 60_000, ...options,
      });
      notifiers.push(running);
      return running;
    },
  };
  try {
    await run(harness);
  } finally {
    await Promise.all(notifiers.map((running) => running.stop()));
    await Promise.all(stores.map((store) => store.close().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function headlines(messages: SlackMessage[]): string[] {
  return messages.map((message) => {
    const block = message.blocks[1];
    return block?.type === 'section' ? (/^\*(.*?)\*/.exec(block.text.text)?.[1] ?? '') : '';
  });
}

function logsWith(harness: Harness, message: string): Record<string, unknown>[] {
  return harness.logs().filter((line) => line.msg === message);
}

const fastRetry = { slackMinIntervalMs: 10, slackBackoff: { initialDelayMs: 20, maxDelayMs: 80 } };

test('slack messages arrive in order, one a second at most', async () => {
  const slack = await startFakeSlack();
  try {
    await withHarness(async (harness) => {
      const store = await harness.open();
      const incident = await store.declare({ title: 'Checkout fails', severity: 'SEV2' }, cli);
      await store.assignRole(incident.number, 'communications', 'bob', cli);
      await store.addNote(incident.number, 'looking at the database', cli);
      await store.postUpdate(incident.number, { audience: 'public', text: 'We are on it' }, cli);
      await store.changeSeverity(incident.number, 'SEV1', cli);
      harness.notify(store, { slackWebhookUrl: slack.url });

      await waitFor(() => slack.requests.length >= 4);
      // The note is not announced, so nothing more arrives.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const seen = headlines(slack.accepted());
      assert.equal(slack.requests.length, 4);
      assert.equal(seen[0], 'Incident declared as SEV2');
      assert.equal(seen[1], 'Communications lead: bob');
      assert.match(seen[2] ?? '', /^Public status update, next one due \d{4}-\d\d-\d\d /);
      assert.equal(seen[3], 'Severity changed from SEV2 to SEV1');
      for (let index = 1; index < slack.requests.length; index += 1) {
        const gap = slack.requests[index]!.receivedAt - slack.requests[index - 1]!.receivedAt;
        assert.ok(gap >= 1000, `request ${index} came ${gap.toFixed(0)} ms after the previous one`);
      }
      // Each message shows the incident as its event left it.
      assert.match(slack.accepted()[0]?.text ?? '', /^INC-1 SEV2 \(triage\) Checkout fails: /);
      assert.match(slack.accepted()[3]?.text ?? '', /^INC-1 SEV1 \(triage\) Checkout fails: /);
    });
  } finally {
    await slack.close();
  }
});

test('failing slack gets every message exactly once', async () => {
  // The first five requests fail with 500, then Slack recovers.
  const slack = await startFakeSlack((index) => ({ status: index < 5 ? 500 : 200 }));
  try {
    await withHarness(async (harness) => {
      const store = await harness.open();
      const incident = await store.declare({ title: 'Disk filling', severity: 'SEV2' }, cli);
      await store.changeState(incident.number, 'investigating', null, cli);
      await store.changeState(incident.number, 'identified', 'old logs', cli);
      harness.notify(store, { slackWebhookUrl: slack.url, ...fastRetry });

      await waitFor(() => slack.accepted().length >= 3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(headlines(slack.accepted()), [
        'Incident declared as SEV2',
        'State changed from triage to investigating',
        'State changed from investigating to identified',
      ]);
      assert.equal(slack.requests.length, 8);
      assert.ok(slack.requests.slice(0, 5).every((entry) => entry.status === 500));
      const retries = logsWith(harness, 'slack delivery failed; retrying');
      assert.equal(retries.length, 5);
      assert.equal(retries[0]?.status, 500);
      assert.doesNotMatch(JSON.stringify(harness.logs()), /secret/);
    });
  } finally {
    await slack.close();
  }
});

test('slack 429 waits for Retry-After', async () => {
  const slack = await startFakeSlack((index) => (index === 0
    ? { status: 429, headers: { 'retry-after': '1' } }
    : { status: 200 }));
  try {
    await withHarness(async (harness) => {
      const store = await harness.open();
      await store.declare({ title: 'Slow API', severity: 'SEV3' }, cli);
      harness.notify(store, { slackWebhookUrl: slack.url, ...fastRetry });

      await waitFor(() => slack.accepted().length >= 1);
      assert.equal(slack.requests.length, 2);
      assert.equal(slack.requests[0]?.status, 429);
      const gap = slack.requests[1]!.receivedAt - slack.requests[0]!.receivedAt;
      assert.ok(gap >= 1000, `retried after ${gap.toFixed(0)} ms`);
      const retry = logsWith(harness, 'slack delivery failed; retrying')[0];
      assert.equal(retry?.retryInMs, 1000);
    });
  } finally {
    await slack.close();
  }
});

test('slack 400 response is logged and skipped', async () => {
  const slack = await startFakeSlack((index) => ({ status: index === 0 ? 400 : 200 }));
  try {
    await withHarness(async (harness) => {
      const store = await harness.open();
      const incident = await store.declare({ title: 'Bad payload', severity: 'SEV3' }, cli);
      await store.changeSeverity(incident.number, 'SEV2', cli);
      harness.notify(store, { slackWebhookUrl: slack.url, ...fastRetry });

      await waitFor(() => slack.accepted().length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(slack.requests.length, 2);
      assert.deepEqual(headlines(slack.accepted()), ['Severity changed from SEV3 to SEV2']);
      const rejected = logsWith(harness, 'slack rejected the message; skipping it')[0];
      assert.equal(rejected?.status, 400);
      assert.equal(rejected?.eventId, 1);
      assert.equal(rejected?.response, 'invalid_payload');
    });
  } finally {
    await slack.close();
  }
});

/**
 * Checks that a notifier stopped and started again, on a reopened database,
 * sends each message once, also when it was stopped during retries.
 */
async function checkRestartResumes(databaseUrl?: string): Promise<void> {
  let failing = false;
  const slack = await startFakeSlack(() => ({ status: failing ? 503 : 200 }));
  try {
    await withHarness(async (harness) => {
      let store = await harness.open();
      const incident = await store.declare({ title: 'Orders lost', severity: 'SEV1' }, cli);
      await store.assignRole(incident.number, 'commander', 'alice', cli);
      let notifiers = harness.notify(store, { slackWebhookUrl: slack.url, ...fastRetry });
      await waitFor(() => slack.accepted().length >= 2);
      await notifiers.stop();

      // Written while no notifier runs, and the first delivery after the
      // restart fails, so a stop during retries is covered too.
      await store.assignRole(incident.number, 'owner', 'carol', cli);
      await store.close();
      store = await harness.open();
      await store.changeState(incident.number, 'investigating', null, cli);
      failing = true;
      notifiers = harness.notify(store, { slackWebhookUrl: slack.url, ...fastRetry });
      await waitFor(() => slack.requests.length >= 3);
      await notifiers.stop();
      failing = false;
      assert.equal(await store.readCursor(slackNotifierName), 2);

      harness.notify(store, { slackWebhookUrl: slack.url, ...fastRetry });
      await waitFor(() => slack.accepted().length >= 4);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(headlines(slack.accepted()), [
        'Incident declared as SEV1',
        'Incident Commander: alice',
        'Owner: carol',
        'State changed from triage to investigating',
      ]);
      await waitFor(async () => (await store.readCursor(slackNotifierName)) === 4);
    }, databaseUrl);
  } finally {
    await slack.close();
  }
}

test('restarted notifier resumes without resending', async () => {
  await checkRestartResumes();
});

test('restarted notifier resumes on PostgreSQL', async () => {
  const cluster = await startPostgres();
  try {
    await checkRestartResumes(await cluster.createDatabase('notify'));
  } finally {
    await cluster.stop();
  }
});

test('reminders follow the cadence and survive a restart', async () => {
  const clock = new FakeClock(Date.parse('2026-12-04T20:00:00.000Z'));
  await withHarness(async (harness) => {
    let store = await harness.open(clock);
    const options = () => ({ store, clock, logger: harness.logger });
    const incident = await store.declare({ title: 'Checkout fails', severity: 'SEV1' }, cli);
    await store.assignRole(incident.number, 'commander', 'alice', cli);
    await store.assignRole(incident.number, 'communications', 'bob', cli);
    clock.set('2026-12-04T20:01:00.000Z');
    const updated = await store.postUpdate(
      incident.number, { audience: 'public', text: 'Investigating' }, cli);
    assert.equal(updated.nextUpdateDue, '2026-12-04T20:31:00.000Z');

    clock.set('2026-12-04T20:30:59.000Z');
    assert.deepEqual(await sendDueReminders(options()), []);
    clock.set('2026-12-04T20:31:00.000Z');
    assert.deepEqual(await sendDueReminders(options()), [
      { incident: 1, role: 'communications', person: 'bob', due: '2026-12-04T20:31:00.000Z' },
    ]);

    await store.close();
    store = await harness.open(clock);
    clock.set('2026-12-04T20:35:00.000Z');
    assert.deepEqual(await sendDueReminders(options()), []);
    clock.set('2026-12-04T20:41:00.000Z');
    assert.deepEqual(await sendDueReminders(options()), [
      { incident: 1, role: 'commander', person: 'alice', due: '2026-12-04T20:31:00.000Z' },
    ]);
    assert.deepEqual(await sendDueReminders(options()), []);

    // An update starts a new cycle, and a snooze delays its escalation.
    clock.set('2026-12-04T20:45:00.000Z');
    await store.postUpdate(incident.number, { audience: 'internal', text: 'Rolled back' }, cli);
    clock.set('2026-12-04T21:15:00.000Z');
    assert.equal((await sendDueReminders(options()))[0]?.role, 'communications');
    await store.snoozeReminders(incident.number, '2026-12-04T21:40:00.000Z', cli);
    clock.set('2026-12-04T21:30:00.000Z');
    assert.deepEqual(await sendDueReminders(options()), []);
    clock.set('2026-12-04T21:40:00.000Z');
    assert.equal((await sendDueReminders(options()))[0]?.role, 'commander');

    const events = (await store.get(incident.number)).events;
    const reminders = events.filter((event) => event.body.type === 'reminder_sent');
    assert.equal(reminders.length, 4);
    assert.ok(reminders.every((event) => event.source === 'reminder'));
  });
});

test('reminder loop sends reminders to slack', async () => {
  const slack = await startFakeSlack();
  const clock = new FakeClock(Date.parse('2026-12-04T20:00:00.000Z'));
  try {
    await withHarness(async (harness) => {
      const store = await harness.open(clock);
      const incident = await store.declare({ title: 'API down', severity: 'SEV1' }, cli);
      await store.assignRole(incident.number, 'communications', 'bob', cli);
      clock.set('2026-12-04T20:16:00.000Z');
      harness.notify(store, {
        slackWebhookUrl: slack.url, clock, reminderIntervalMs: 20, ...fastRetry,
      });

      await waitFor(() => headlines(slack.accepted()).includes('Status update overdue'));
      const reminder = slack.accepted().find((message) => /overdue/.test(message.text));
      assert.match(reminder?.text ?? '', /Communications lead bob: The stakeholder update was due/);
      assert.match(reminder?.text ?? '', /2026-12-04 20:15 UTC/);
      const record = await store.get(incident.number);
      const sent = record.events.filter((event) => event.body.type === 'reminder_sent');
      assert.equal(sent.length, 1);
    });
  } finally {
    await slack.close();
  }
});

test('status page files follow the incidents', async () => {
  await withHarness(async (harness) => {
    const store = await harness.open();
    const statusDir = join(harness.dir, 'status');
    const incident = await store.declare(
      { title: 'Orders API down', severity: 'SEV1', services: ['orders-api'] }, cli);
    harness.notify(store, {
      statusDir, statusComponents: ['orders-api', 'payments'], statusExportIntervalMs: 50,
    });
    const readStatus = async () => {
      try {
        return JSON.parse(await readFile(join(statusDir, 'status.json'), 'utf8')) as {
          overall: string; components: { name: string; state: string }[];
        };
      } catch {
        return undefined;
      }
    };

    await waitFor(async () => (await readStatus())?.overall === 'major_outage');
    const during = await readStatus();
    const names = during?.components.map((component) => component.name);
    assert.deepEqual(names, ['orders-api', 'payments']);
    assert.equal(during?.components[1]?.state, 'operational');
    assert.match(await readFile(join(statusDir, 'index.html'), 'utf8'), /Orders API down/);

    await store.changeState(incident.number, 'resolved', 'fixed', cli);
    await waitFor(async () => (await readStatus())?.overall === 'operational');
    const after = await readStatus();
    assert.ok(after?.components.every((component) => component.state === 'operational'));
  });
});

test('bad notifier options are rejected before anything starts', async () => {
  await withHarness(async (harness) => {
    const store = await harness.open();
    await store.declare({ title: 'Checkout fails', severity: 'SEV2' }, cli);
    const file = join(harness.dir, 'not-a-directory');
    await writeFile(file, 'x');
    const cases: [Partial<NotifierOptions>, RegExp][] = [
      [{ slackWebhookUrl: 'hooks.slack.com/services/T/B/secret' }, /not a valid URL/],
      [{ slackWebhookUrl: 'ftp://hooks.slack.com/T/B/secret' }, /uses ftp: \(expected https:\)/],
      [{ pollIntervalMs: 0 }, /poll interval is 0 ms \(expected a positive number\)/],
      [{ reminderIntervalMs: Number.NaN }, /reminder interval is NaN ms/],
      [{ reminderGraceMinutes: -1 }, /grace period is -1 minutes \(expected 0 or more\)/],
      [{ statusDir: file }, /not-a-directory is a file, not a directory/],
      [{ statusDir: join(file, 'status') }, /not a directory \(ENOTDIR\)/],
      [{ statusDir: harness.dir, statusComponents: ['a', ' '] }, /component 2 has an empty name/],
    ];

    for (const [options, pattern] of cases) {
      const check = assertSrekitError('INVALID_INPUT', pattern);
      assert.throws(() => harness.notify(store, options), check);
    }
    assert.doesNotMatch(JSON.stringify(harness.logs()), /notifier started|secret/);
    assert.equal(await store.readCursor(slackNotifierName), 0);
    assert.equal((await store.get(1)).events.length, 1);
    const written = await readdir(harness.dir);
    assert.ok(!written.includes('status.json'), written.join(', '));
    assert.ok(!written.includes('index.html'), written.join(', '));
  });
});

test('status page export coalesces a burst', async () => {
  await withHarness(async (harness) => {
    const store = await harness.open();
    const statusDir = join(harness.dir, 'status');
    const incident = await store.declare({ title: 'Slow API', severity: 'SEV3' }, cli);
    harness.notify(store, { statusDir, statusExportIntervalMs: 500 });
    await waitFor(() => logsWith(harness, 'status page exported').length >= 1);

    // Spread over about 400 ms, so the 20 ms poll alone would export about 20 times.
    for (let index = 1; index <= 30; index += 1) {
      await store.postUpdate(incident.number, { audience: 'public', text: `update ${index}` }, cli);
      await new Promise((resolve) => setTimeout(resolve, 12));
    }
    const readLatest = async () => {
      const text = await readFile(join(statusDir, 'status.json'), 'utf8');
      type Status = { openIncidents: { latestUpdate: { text: string } | null }[] };
      return (JSON.parse(text) as Status).openIncidents[0]?.latestUpdate?.text;
    };
    await waitFor(async () => (await readLatest()) === 'update 30');

    const exports = logsWith(harness, 'status page exported').length;
    assert.ok(exports <= 4, `${exports} exports for 30 updates`);
  });
});
