import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startService, type RunningService, type StartServiceOptions } from '../../src/service/index.js';

/** A service started for a test, with its log records kept in memory. */
export interface TestService extends RunningService {
  /** Parsed JSON log records written so far. */
  logs(): Record<string, unknown>[];
  /** Closes the service and removes its temporary directory. */
  stop(): Promise<void>;
}

/**
 * Starts the service on a free loopback port with a SQLite file in a new
 * temporary directory, unless `options` give another database.
 */
export async function startTestService(
  options: Partial<StartServiceOptions> = {},
): Promise<TestService> {
  const directory = mkdtempSync(join(tmpdir(), 'srekit-service-'));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      done();
    },
  });
  const service = await startService({
    port: 0,
    databaseUrl: `sqlite:${join(directory, 'orders.sqlite')}`,
    logger: pino({ level: 'debug' }, sink),
    ...options,
  }).catch((error: unknown) => {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  });

  return {
    ...service,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: async () => {
      await service.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A response with its body parsed as JSON when it is JSON. */
export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Options of {@link requestJson}: `body` is sent as JSON, `rawBody` as it is. */
export interface RequestOptions {
  method?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Sends a request and parses the JSON response body. */
export async function requestJson(url: string, init: RequestOptions = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...init.headers };
  let requestBody: string | undefined = init.rawBody;
  if (init.body !== undefined) requestBody = JSON.stringify(init.body);
  if (requestBody !== undefined) headers['content-type'] ??= 'application/json';

  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: requestBody });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  const body: unknown = isJson ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body };
}

/** Returns `body.error` of an error response, or fails when there is none. */
export function errorMessage(response: JsonResponse): string {
  const { body } = response;
  if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') {
    return body.error;
  }
  throw new Error(`expected {error: string}, got ${JSON.stringify(body)}`);
}
