import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-errors.js';

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
