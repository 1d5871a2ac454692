import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { hashRequest, type IdempotencyStore, type StoredResponse } from './idempotency.js';
import { clientErrorResponse, errorBody } from './server-errors.js';

/** The longest Idempotency-Key accepted, in characters. */
export const maxIdempotencyKeyLength = 255;

const keyPattern = /^[\x21-\x7e]+$/;

/**
 * Runs the command of a POST request and sends its response. With an
 * Idempotency-Key header, the first response to the key is stored, and a
 * repeat with the same method, path and body gets that response again
 * (status, body and the header `Idempotent-Replayed: true`) without running
 * the command. The same key with a different request gets 422. A client
 * error is stored like a success, because running the command again would
 * fail the same way. A server failure releases the key, so a retry runs.
 * Only status and body are stored, so `headersOf` derives any other
 * response headers from them, for the first response and for replays.
 */
export async function respondIdempotently(
  store: IdempotencyStore,
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<StoredResponse>,
  headersOf: (response: StoredResponse) => Record<string, string> = () => ({}),
): Promise<void> {
  const sendResponse = (target: FastifyReply, response: StoredResponse) => target
    .headers(headersOf(response)).code(response.statusCode).send(response.body);

  const key = request.headers['idempotency-key'];
  if (key === undefined) {
    await sendResponse(reply, await runCatchingClientErrors(run));
    return;
  }
  if (countHeader(request.raw.rawHeaders, 'idempotency-key') > 1) {
    await sendResponse(reply, repeatedKeyResponse());
    return;
  }
  if (typeof key !== 'string' || key.length > maxIdempotencyKeyLength || !keyPattern.test(key)) {
    await sendResponse(reply, invalidKeyResponse());
    return;
  }

  const claim = await store.begin(key, hashRequest(request.method, request.url, request.body));
  if (claim.kind === 'replay') {
    await sendResponse(reply.header('idempotent-replayed', 'true'), claim.response);
    return;
  }
  if (claim.kind !== 'new') {
    await sendResponse(reply, conflictResponse(key, claim.kind));
    return;
  }

  let response: StoredResponse;
  try {
    response = await runCatchingClientErrors(run);
  } catch (error) {
    await store.abandon(key).catch((abandonError: unknown) => {
      request.log.error({ err: abandonError, idempotencyKey: key }, 'could not release idempotency key');
    });
    throw error;
  }
  await storeResponse(store, key, response, request.log);
  await sendResponse(reply, response);
}

async function runCatchingClientErrors(
  run: () => Promise<StoredResponse>,
): Promise<StoredResponse> {
  try {
    return await run();
  } catch (error) {
    const response = clientErrorResponse(error);
    if (response === undefined) throw error;
    return response;
  }
}

// The command has run, so its response is sent even when it cannot be
// stored.
// NOTE: the key then stays claimed until it expires, and a repeat gets 409
// instead of the replayed response.
async function storeResponse(
  store: IdempotencyStore, key: string, response: StoredResponse, log: FastifyBaseLogger,
): Promise<void> {
  try {
    await store.complete(key, response);
  } catch (error) {
    log.error({ err: error, idempotencyKey: key }, 'could not store the idempotent response');
  }
}

// Node.js joins repeated headers with ", ", so only the raw headers show that
// a request sent two keys, and neither may be chosen silently.
function countHeader(rawHeaders: string[], name: string): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === name) count += 1;
  }
  return count;
}

function repeatedKeyResponse(): StoredResponse {
  return {
    statusCode: 400,
    body: errorBody('INVALID_INPUT', 'invalid Idempotency-Key header: it was sent more than once',
      'send one Idempotency-Key header per request'),
  };
}

function invalidKeyResponse(): StoredResponse {
  return {
    statusCode: 400,
    body: errorBody('INVALID_INPUT', 'invalid Idempotency-Key header: expected 1 to '
      + `${maxIdempotencyKeyLength} visible ASCII characters, such as a UUID`),
  };
}

function conflictResponse(key: string, kind: 'mismatch' | 'in-progress'): StoredResponse {
  if (kind === 'mismatch') {
    return {
      statusCode: 422,
      body: errorBody('INVALID_INPUT', `Idempotency-Key "${key}" was already used for a `
        + 'different request', 'send a new key for each different request'),
    };
  }
  return {
    statusCode: 409,
    body: errorBody('INCIDENT_SERVER_UNAVAILABLE', `a request with Idempotency-Key "${key}" `
      + 'is still running', 'retry the same request in a moment'),
  };
}
