/**
 * The outbox loop: a notifier reads the event log after its cursor, hands
 * the events to a consumer and moves the cursor only as far as the consumer
 * has delivered. A stopped or restarted notifier resumes at its cursor.
 */
import type { Logger } from '../common/logger.js';
import type { IncidentEvent } from './model.js';
import { pause } from './notify-timing.js';
import type { NotifierStore } from './service-api.js';

/** Something that delivers events somewhere, such as Slack or the status page files. */
export interface OutboxConsumer {
  /** The cursor name in the store; one cursor per consumer. */
  name: string;
  /**
   * Delivers `events`, oldest first, and calls `commit` with the id of the
   * last event delivered so far, at least once after the last one. Returns
   * early, without committing the rest, when `signal` aborts. Failures it
   * does not retry itself are thrown and make the loop try the batch again.
   */
  deliver(
    events: IncidentEvent[], signal: AbortSignal, commit: (lastEventId: number) => Promise<void>,
  ): Promise<void>;
}

/** Options of {@link startOutbox}. */
export interface OutboxOptions {
  store: NotifierStore;
  consumer: OutboxConsumer;
  logger: Logger;
  /** How long to wait before reading the log again when it had nothing new. */
  pollIntervalMs: number;
  /** Maximum events read at once. */
  batchSize?: number;
}

/** A running loop. */
export interface RunningLoop {
  /**
   * Stops the loop and resolves once it has ended. A delivery in flight is
   * allowed to finish, so its cursor is written and it is not sent again.
   */
  stop(): Promise<void>;
}

const defaultBatchSize = 100;

/**
 * Starts the outbox loop of one consumer in the background.
 *
 * NOTE: the cursor is not a lease. Two servers on one database would each
 * deliver every event, so only one `srekit incident serve` may run the
 * notifiers of a database.
 */
export function startOutbox(options: OutboxOptions): RunningLoop {
  const controller = new AbortController();
  const done = runOutbox(options, controller.signal);
  return {
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

async function runOutbox(options: OutboxOptions, signal: AbortSignal): Promise<void> {
  const { store, consumer, logger } = options;
  const log = logger.child({ notifier: consumer.name });
  let cursor: number | undefined;
  let failures = 0;
  log.info('notifier started');

  while (!signal.aborted) {
    try {
      cursor ??= await store.readCursor(consumer.name);
      const events = await store.eventsAfter(cursor, options.batchSize ?? defaultBatchSize);
      if (events.length === 0) {
        await pause(options.pollIntervalMs, signal);
        continue;
      }
      await consumer.deliver(events, signal, async (lastEventId) => {
        await store.writeCursor(consumer.name, lastEventId);
        cursor = lastEventId;
      });
      failures = 0;
    } catch (error) {
      failures += 1;
      // Log the first failure of a run of them and every tenth after it, so
      // a database that stays down does not flood the log.
      if (failures % 10 === 1) log.error({ err: error, cursor, failures }, 'notifier failed');
      // Read the cursor again from the store, which keeps the last commit that succeeded.
      cursor = undefined;
      await pause(Math.max(options.pollIntervalMs, 1000), signal);
    }
  }
  log.info({ cursor }, 'notifier stopped');
}
