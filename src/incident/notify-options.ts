/**
 * Checks of the notifier options, run before any notifier starts, so a bad
 * option stops the server at start-up rather than failing in the background.
 */
import { statSync, type Stats } from 'node:fs';
import { SrekitError } from '../common/errors.js';
import { describeFileError, isPathError } from '../common/files.js';
import type { NotifierOptions } from './notify.js';

/**
 * Raises INVALID_INPUT for an option that no notifier could work with: a
 * Slack webhook URL that is not http(s), an interval that is not a positive
 * number, a status directory that is an existing file, or an empty component
 * name. The error never repeats the webhook URL, which is a secret.
 */
export function checkNotifierOptions(options: NotifierOptions): void {
  if (options.slackWebhookUrl !== undefined) checkWebhookUrl(options.slackWebhookUrl);
  checkPositive('poll interval', options.pollIntervalMs, 'ms');
  checkPositive('reminder interval', options.reminderIntervalMs, 'ms');
  checkAtLeastZero('reminder grace period', options.reminderGraceMinutes, 'minutes');
  checkAtLeastZero('Slack request interval', options.slackMinIntervalMs, 'ms');
  checkAtLeastZero('status page export interval', options.statusExportIntervalMs, 'ms');
  if (options.slackBackoff !== undefined) {
    checkPositive('Slack retry delay', options.slackBackoff.initialDelayMs, 'ms');
    checkPositive('Slack maximum retry delay', options.slackBackoff.maxDelayMs, 'ms');
  }
  if (options.statusDir !== undefined) checkStatusDir(options.statusDir);
  const blank = (options.statusComponents ?? []).findIndex((name) => name.trim() === '');
  if (blank !== -1) {
    throw new SrekitError('INVALID_INPUT',
      `could not start the notifiers: status page component ${blank + 1} has an empty name`,
      { hint: 'give every component a name, such as "orders-api"' });
  }
}

const webhookHint = 'copy the URL of the incoming webhook from Slack, https://hooks.slack.com/…';

function checkWebhookUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new SrekitError('INVALID_INPUT',
      'could not start the Slack notifier: the webhook URL is not a valid URL',
      { hint: webhookHint });
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new SrekitError('INVALID_INPUT',
      `could not start the Slack notifier: the webhook URL uses ${protocol} (expected https:)`,
      { hint: webhookHint });
  }
}

function checkPositive(name: string, value: number | undefined, unit: string): void {
  if (value === undefined || (Number.isFinite(value) && value > 0)) return;
  throw new SrekitError('INVALID_INPUT',
    `could not start the notifiers: the ${name} is ${value} ${unit} (expected a positive number)`);
}

function checkAtLeastZero(name: string, value: number | undefined, unit: string): void {
  if (value === undefined || (Number.isFinite(value) && value >= 0)) return;
  throw new SrekitError('INVALID_INPUT',
    `could not start the notifiers: the ${name} is ${value} ${unit} (expected 0 or more)`);
}

function checkStatusDir(dir: string): void {
  if (dir.trim() === '') {
    throw new SrekitError('INVALID_INPUT',
      'could not start the status page export: the status directory is empty',
      { hint: 'give a directory, such as .srekit/incident/status' });
  }
  let stats: Stats | undefined;
  try {
    stats = statSync(dir, { throwIfNoEntry: false });
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT',
      `could not start the status page export to ${dir}: ${describeFileError(error)}`,
      { hint: 'give a directory for the static status page, which is created if missing' });
  }
  if (stats !== undefined && !stats.isDirectory()) {
    throw new SrekitError('INVALID_INPUT',
      `could not start the status page export: ${dir} is a file, not a directory`,
      { hint: 'give a directory for the static status page, which is created if missing' });
  }
}
