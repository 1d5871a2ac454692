/**
 * Starts the notifiers of the incident server: Slack messages and the static
 * status page, each an outbox loop over the event log with its own cursor,
 * and the reminder check. They run beside the HTTP server, never inside a
 * request, so a slow or failing Slack never delays a write.
 */
import type { Logger } from '../common/logger.js';
import { checkNotifierOptions } from './notify-options.js';
import { createSlackConsumer } from './notify-slack.js';
import { createStatusPageConsumer, writeStatusPage } from './notify-status-page.js';
import type { BackoffOptions } from './notify-timing.js';
import { startOutbox, type RunningLoop } from './outbox.js';
import { startReminders } from './reminders.js';
import type { Clock, IncidentService, NotifierStore } from './service-api.js';

/** Options of {@link startNotifiers}. */
export interface NotifierOptions {
  store: NotifierStore & IncidentService;
  clock: Clock;
  logger: Logger;
  /** Slack incoming-webhook URL; no Slack messages without it. */
  slackWebhookUrl?: string;
  /** Directory for the static status page; no export without it. */
  statusDir?: string;
  /** Components the status page always lists. */
  statusComponents?: string[];
  /** Minimum milliseconds between the starts of two status page exports; 1000 by default. */
  statusExportIntervalMs?: number;
  /** How long an outbox loop waits before reading the log again when it had nothing new. */
  pollIntervalMs: number;
  /** How often reminders are checked; 30 seconds by default. */
  reminderIntervalMs?: number;
  /** Minutes between reminding the Communications lead and the IC; 10 by default. */
  reminderGraceMinutes?: number;
  /** Minimum milliseconds between two Slack requests; 1000 by default. */
  slackMinIntervalMs?: number;
  /** Retry delays of Slack requests; 1 s doubling up to 5 minutes by default. */
  slackBackoff?: BackoffOptions;
  /** Posts notes to Slack too. */
  announceNotes?: boolean;
}

/** The running notifiers. */
export interface RunningNotifiers {
  /** Stops every loop and resolves when all have ended. */
  stop(): Promise<void>;
}

/**
 * Starts the notifiers in the background and returns at once. The reminder
 * check always runs. Slack and the status page run when their option is
 * given. Raises INVALID_INPUT for a bad option before starting anything.
 * Later failures are logged and retried by the loops, not thrown.
 */
export function startNotifiers(options: NotifierOptions): RunningNotifiers {
  checkNotifierOptions(options);
  const { store, clock, logger } = options;
  const loops: RunningLoop[] = [];

  if (options.slackWebhookUrl !== undefined) {
    const consumer = createSlackConsumer({
      webhookUrl: options.slackWebhookUrl,
      service: store,
      logger: logger.child({ notifier: 'slack' }),
      minIntervalMs: options.slackMinIntervalMs,
      backoff: options.slackBackoff,
      announceNotes: options.announceNotes,
    });
    loops.push(startOutbox({ store, consumer, logger, pollIntervalMs: options.pollIntervalMs }));
  }

  if (options.statusDir !== undefined) {
    const exportOptions = {
      service: store, clock, logger, dir: options.statusDir, components: options.statusComponents,
    };
    // Writing once at start keeps the files current when no event has arrived since the last run.
    const initialExport = writeStatusPage(exportOptions).then(() => undefined, (error: unknown) => {
      logger.error({ err: error, dir: options.statusDir }, 'status page export failed');
    });
    loops.push({ stop: () => initialExport });
    const consumer = createStatusPageConsumer(exportOptions, options.statusExportIntervalMs);
    // A large batch lets one export cover a whole burst of events.
    loops.push(startOutbox({
      store, consumer, logger, pollIntervalMs: options.pollIntervalMs, batchSize: 1000,
    }));
  }

  loops.push(startReminders({
    store, clock, logger,
    intervalMs: options.reminderIntervalMs ?? 30_000,
    graceMinutes: options.reminderGraceMinutes,
  }));
  logger.info({ slack: options.slackWebhookUrl !== undefined, statusDir: options.statusDir },
    'notifiers started');

  return {
    stop: async () => {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}
