import { readFileSync } from 'node:fs';
import { SrekitError } from '../common/errors.js';

/** The environment variable that contains the incident API token. */
export const tokenVariable = 'SREKIT_INCIDENT_TOKEN';

/** The environment variable that contains the Slack incoming webhook URL. */
export const slackWebhookVariable = 'SREKIT_SLACK_WEBHOOK_URL';

/**
 * Reads the Slack incoming webhook URL from `--slack-webhook-file` when
 * given, else from SREKIT_SLACK_WEBHOOK_URL; undefined when neither is set.
 * The URL is a secret, so it is never taken from a flag. The notifiers
 * check that it is an http(s) URL.
 */
export function readSlackWebhookUrl(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (file !== undefined) {
    return readSecretFile(file, 'Slack webhook file',
      'pass a readable file with --slack-webhook-file, or set SREKIT_SLACK_WEBHOOK_URL');
  }
  const fromEnv = env[slackWebhookVariable]?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * Reads the incident API token from `--token-file` when given, else from
 * SREKIT_INCIDENT_TOKEN. Returns undefined when neither is set. Raises
 * INVALID_INPUT for a token file that cannot be read or contains no token.
 * Surrounding whitespace, such as the newline an editor adds, is dropped.
 */
export function readIncidentToken(
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (tokenFile !== undefined) return readTokenFile(tokenFile);

  const fromEnv = env[tokenVariable]?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function readTokenFile(path: string): string {
  return readSecretFile(path, 'token file',
    'pass a readable file with --token-file, or set SREKIT_INCIDENT_TOKEN');
}

/**
 * Reads a one-line secret from `path`, without surrounding whitespace.
 * `label` names the file in errors, and `readHint` is the hint of the error
 * raised when the file cannot be read.
 */
function readSecretFile(path: string, label: string, readHint: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SrekitError('INVALID_INPUT', `could not read ${label} ${path}: ${reason}`, {
      hint: readHint,
      cause: error,
    });
  }

  const secret = text.trim();
  if (secret === '') {
    throw new SrekitError('INVALID_INPUT', `${label} ${path} is empty`, {
      hint: 'write the value on the first line of the file',
    });
  }
  if (/\s/.test(secret)) {
    throw new SrekitError('INVALID_INPUT', `${label} ${path} contains whitespace inside the value`, {
      hint: 'write only the value, on one line',
    });
  }
  return secret;
}
