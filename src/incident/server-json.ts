import type { FastifyInstance } from 'fastify';
import { SrekitError } from '../common/errors.js';

/**
 * Deepest nesting of arrays and objects in a request body. Alertmanager
 * messages need 4 levels. The limit keeps a body of many `[` from
 * exhausting the stack in the recursive reviver of JSON.parse.
 */
export const maxJsonDepth = 32;

/**
 * Replaces Fastify's body parsers with one for JSON whose errors name the
 * syntax error. An empty body parses as undefined, so that POSTs such as
 * `/resolve` need no body. Keys that could replace an object's prototype
 * are rejected, and a body of any other Content-Type gets 415.
 */
export function useJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (nestingDepthExceeds(text, maxJsonDepth)) {
      done(new SrekitError('INVALID_INPUT', 'request body is nested too deeply: arrays and '
        + `objects may be nested at most ${maxJsonDepth} levels`));
      return;
    }
    try {
      done(null, JSON.parse(text, rejectPrototypeKeys));
    } catch (error) {
      if (error instanceof SrekitError) {
        done(error);
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      done(new SrekitError('INVALID_INPUT', `request body is not valid JSON: ${reason}`));
    }
  });
}

function rejectPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
    throw new SrekitError('INVALID_INPUT', `request body contains the key "${key}", which is not allowed`);
  }
  return value;
}

/** Scans the text once, skipping string contents, and stops at the first level past `limit`. */
function nestingDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let index = 0;
  while (index < text.length) {
    const char = text.charCodeAt(index);
    if (char === 0x22) {
      index = endOfString(text, index + 1);
      continue;
    }
    if (char === 0x5b || char === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 0x5d || char === 0x7d) {
      depth -= 1;
    }
    index += 1;
  }
  return false;
}

/** Returns the index after the closing quote of a string that starts at `start`. */
function endOfString(text: string, start: number): number {
  let index = start;
  while (index < text.length) {
    const char = text.charCodeAt(index);
    if (char === 0x5c) index += 2;
    else if (char === 0x22) return index + 1;
    else index += 1;
  }
  return index;
}
