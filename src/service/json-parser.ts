import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-errors.js';

/**
 * Deepest nesting of arrays and objects that a request body may have. The
 * API's bodies need 3 levels, and a limit keeps a body of many `[` from
 * exhausting the stack of JSON.parse and its reviver.
 */
export const maxNestingDepth = 64;

/**
 * Parses JSON bodies with an error message that names the syntax error and
 * its position, which Fastify's own parser leaves out. Keys that could replace an object's
 * prototype when the body is merged into another object are rejected.
 * Fastify's other parsers are removed, so a body of any other type, text/plain
 * included, gets 415.
 */
export function replaceJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(new HttpError(400, 'request body is empty but Content-Type is application/json'));
      return;
    }
    if (exceedsNestingDepth(text, maxNestingDepth)) {
      const message = 'request body is nested too deeply: JSON arrays and objects '
        + `may be nested at most ${maxNestingDepth} levels`;
      done(new HttpError(400, message));
      return;
    }
    try {
      done(null, JSON.parse(text, rejectPrototypeKeys));
    } catch (error) {
      if (error instanceof HttpError) {
        done(error);
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      done(new HttpError(400, `request body is not valid JSON: ${reason}`));
    }
  });
}

function rejectPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor') {
    throw new HttpError(400, `request body contains the key "${key}", which is not allowed`);
  }
  return value;
}

/**
 * Returns true when arrays and objects in `text` nest deeper than `limit`.
 * Brackets inside strings are skipped. It reads the text only, so it runs
 * before JSON.parse and never recurses.
 */
function exceedsNestingDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '[' || char === '{') {
      depth++;
      if (depth > limit) return true;
    } else if (char === ']' || char === '}') {
      depth--;
    }
  }
  return false;
}
