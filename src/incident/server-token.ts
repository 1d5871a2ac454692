import { readFileSync } from 'node:fs';
import { SrekitError } from '../common/errors.js';

/** The environment variable that contains the incident API token. */
export const tokenVariable = 'SREKIT_INCIDENT_TOKEN';

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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SrekitError('INVALID_INPUT', `could not read token file ${path}: ${reason}`, {
      hint: 'pass a readable file with --token-file, or set SREKIT_INCIDENT_TOKEN',
      cause: error,
    });
  }

  const token = text.trim();
  if (token === '') {
    throw new SrekitError('INVALID_INPUT', `token file ${path} is empty`, {
      hint: 'write the token on the first line of the file',
    });
  }
  if (/\s/.test(token)) {
    throw new SrekitError('INVALID_INPUT', `token file ${path} contains whitespace inside the token`, {
      hint: 'write only the token, on one line',
    });
  }
  return token;
}
