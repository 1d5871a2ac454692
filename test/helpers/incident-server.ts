import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import {
  createIncidentService, openIncidentDatabase, type IncidentStore,
} from '../../src/incident/index.js';
import type { IncidentSchema } from '../../src/incident/schema.js';
import { buildIncidentServer, type IncidentServerOptions } from '../../src/incident/server.js';
import { fakeClock, type FakeClock } from './incident.js';

/** The token of every test server. */
export const testToken = 'test-token-5f2c9a';

/** An incident server on a loopback port with its own SQLite file. */
export interface TestIncidentServer {
  url: string;
  store: IncidentStore;
  db: Kysely<IncidentSchema>;
  clock: FakeClock;
  /** Parsed JSON log records written so far. */
  logs(): Record<string, unknown>[];
  /** Counts the rows of the event log and of the idempotency keys. */
  countRows(): Promise<{ events: number; keys: number }>;
  /** Closes the server and the database and removes the files. */
  stop(): Promise<void>;
}

/**
 * Starts an incident server on 127.0.0.1 with a free port and a fake clock,
 * on a new SQLite file unless `databaseUrl` names another database.
 */
export async function startTestIncidentServer(
  options: Partial<IncidentServerOptions> & { databaseUrl?: string } = {},
): Promise<TestIncidentServer> {
  const directory = mkdtempSync(join(tmpdir(), 'srekit-incident-server-'));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const clock = fakeClock();
  const { databaseUrl, ...serverOptions } = options;
  const url = databaseUrl ?? `sqlite:${join(directory, 'incidents.sqlite')}`;
  const db = await openIncidentDatabase(url, logger);
  const store = createIncidentService(db, { clock });
  const app = buildIncidentServer({
    service: store, db, token: testToken, logger, clock, processMetrics: false, ...serverOptions,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    store, db, clock,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    countRows: async () => ({
      events: await countRows(db, 'incident_events'),
      keys: await countRows(db, 'idempotency_keys'),
    }),
    stop: async () => {
      await app.close();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function countRows(
  db: Kysely<IncidentSchema>, table: 'incident_events' | 'idempotency_keys',
): Promise<number> {
  const row = await db.selectFrom(table)
    .select((builder) => builder.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** A response with its body parsed as JSON when it is JSON. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Options of {@link callApi}: `body` is sent as JSON, `rawBody` as it is. */
export interface CallOptions {
  method?: string;
  body?: unknown;
  rawBody?: string;
  /** The bearer token; {@link testToken} by default, none when null. */
  token?: string | null;
  headers?: Record<string, string>;
}

/** Sends a request to the test server and parses the JSON response. */
export async function callApi(url: string, options: CallOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? testToken : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const body = options.body === undefined ? options.rawBody : JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';

  const response = await fetch(url, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  const parsed: unknown = isJson ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Returns a field of a JSON object response body, failing when the body is no object. */
export function field(response: ApiResponse, name: string): unknown {
  const { body } = response;
  if (typeof body !== 'object' || body === null) {
    throw new Error(`expected a JSON object, got ${JSON.stringify(body)}`);
  }
  return (body as Record<string, unknown>)[name];
}
