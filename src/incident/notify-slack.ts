/**
 * The Slack notifier: posts a message for each announced event to an
 * incoming webhook, at most one request a second, retrying failures with
 * backoff until they succeed or Slack rejects the message.
 */
import { performance } from 'node:perf_hooks';
import { SrekitError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { IncidentEvent } from './model.js';
import {
  backoffDelay, defaultBackoff, parseRetryAfter, pause, type BackoffOptions,
} from './notify-timing.js';
import type { OutboxConsumer } from './outbox.js';
import { projectEvents } from './projection.js';
import type { IncidentService } from './service-api.js';
import { buildSlackMessage, type SlackMessage } from './slack-message.js';
import { isAnnounced } from './slack-message-events.js';

/** Options of {@link createSlackConsumer}. */
export interface SlackNotifierOptions {
  /** The incoming-webhook URL. It is a secret, so it is never logged. */
  webhookUrl: string;
  service: IncidentService;
  logger: Logger;
  /**
   * Minimum time from the end of one request to the start of the next, in
   * milliseconds. Slack accepts about one message a second per webhook.
   */
  minIntervalMs?: number;
  backoff?: BackoffOptions;
  /** Time allowed for one request, in milliseconds. */
  requestTimeoutMs?: number;
  /** Posts notes too; see AnnounceOptions. */
  announceNotes?: boolean;
}

/** The cursor name of the Slack notifier. */
export const slackNotifierName = 'slack';

/** Maximum wait that a Retry-After header can impose. A larger value is cut to this. */
const maxRetryAfterMs = 60 * 60_000;

type PostResult =
  | { kind: 'sent' }
  | { kind: 'rejected'; status: number; response: string }
  | { kind: 'retry'; status?: number; error?: string; retryAfterMs?: number };

type SendOutcome = 'sent' | 'rejected' | 'stopped';

/**
 * Creates the outbox consumer that posts announced events to Slack. The
 * cursor moves after each message that Slack accepted or rejected with a
 * 4xx other than 408 and 429, because such a message never succeeds.
 */
export function createSlackConsumer(options: SlackNotifierOptions): OutboxConsumer {
  const send = createSender(options);
  return {
    name: slackNotifierName,
    deliver: async (events, signal, commit) => {
      let handled: number | undefined;
      let committed: number | undefined;
      for (const event of events) {
        if (signal.aborted) break;
        const message = await messageFor(options, event);
        if (message !== null) {
          if ((await send(message, event, signal)) === 'stopped') break;
          await commit(event.id);
          committed = event.id;
        }
        handled = event.id;
      }
      // Events that announce nothing are committed together, to save writes.
      if (handled !== undefined && handled !== committed) await commit(handled);
    },
  };
}

async function messageFor(
  options: SlackNotifierOptions, event: IncidentEvent,
): Promise<SlackMessage | null> {
  // Checked before reading the incident, because most events are not announced.
  if (!isAnnounced(event, options)) return null;
  try {
    const record = await options.service.get(event.incident);
    // A message shows the incident as this event left it, even when later
    // events are already in the log because Slack was down for a while.
    const timeline = record.events.filter((entry) => entry.id <= event.id);
    const incident = projectEvents(timeline) ?? record.incident;
    return buildSlackMessage(event, incident, {
      timeline, announceNotes: options.announceNotes,
    });
  } catch (error) {
    if (!(error instanceof SrekitError) || error.code !== 'INCIDENT_NOT_FOUND') throw error;
    options.logger.warn({ eventId: event.id, incident: event.incident },
      'event names an incident that does not exist; skipping its message');
    return null;
  }
}

function createSender(options: SlackNotifierOptions) {
  const minIntervalMs = options.minIntervalMs ?? 1000;
  const backoff = options.backoff ?? defaultBackoff;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const logger = options.logger;
  let lastRequestEnd = Number.NEGATIVE_INFINITY;

  return async (
    message: SlackMessage, event: IncidentEvent, signal: AbortSignal,
  ): Promise<SendOutcome> => {
    const ids = { eventId: event.id, incident: event.incident };
    for (let attempt = 0; ; attempt += 1) {
      if (!(await pause(lastRequestEnd + minIntervalMs - performance.now(), signal))) {
        return 'stopped';
      }
      const result = await postMessage(options.webhookUrl, message, timeoutMs);
      lastRequestEnd = performance.now();
      if (result.kind === 'sent') return 'sent';
      if (result.kind === 'rejected') {
        logger.warn({ ...ids, status: result.status, response: result.response },
          'slack rejected the message; skipping it');
        return 'rejected';
      }

      const retryAfter = result.retryAfterMs === undefined
        ? undefined : Math.min(result.retryAfterMs, maxRetryAfterMs);
      const retryInMs = retryAfter ?? backoffDelay(attempt, backoff);
      logger.warn({ ...ids, status: result.status, error: result.error, attempt: attempt + 1,
        retryInMs }, 'slack delivery failed; retrying');
      if (!(await pause(retryInMs, signal))) return 'stopped';
    }
  };
}

async function postMessage(
  url: string, message: SlackMessage, timeoutMs: number,
): Promise<PostResult> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    // NOTE: a request that timed out may have reached Slack, so its retry can
    // post the message twice. Incoming webhooks take no idempotency key.
    return { kind: 'retry', error: describeFetchError(error) };
  }

  const status = response.status;
  if (response.ok) return { kind: 'sent' };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    return { kind: 'retry', status, retryAfterMs };
  }
  return { kind: 'rejected', status, response: text.slice(0, 200) };
}

/** Describes a failed fetch by its cause, which names the host but not the secret path. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) return `${error.message}: ${cause.message}`;
  return error.message;
}
