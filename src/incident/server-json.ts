import type { FastifyInstance } from 'fastify';
import { SrekitError } from '../common/errors.js';

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
