import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { SrekitError, isSystemError } from '../common/errors.js';
import { describeFileError, isPathError } from '../common/files.js';
import type { Logger } from '../common/logger.js';
import { formatHostPort } from '../common/process.js';
import { webhookPaths, type WebhookPath } from '../slo/index.js';

/**
 * The webhook paths the receiver accepts: one per Alertmanager receiver (the
 * severities and the dead man's switch that the Watchdog heartbeat goes to).
 * The page receiver's second webhook goes to the incident server instead.
 */
export const receiverNames: readonly WebhookPath[] = webhookPaths;

/** One webhook delivery, as stored in the notifications file and served on /notifications. */
export interface ReceivedNotification {
  /** The webhook path the delivery came to, without its slash. */
  receiver: WebhookPath;
  /** ISO 8601 time at which the receiver got the request. */
  receivedAt: string;
  /** The Alertmanager webhook body, unchanged. */
  payload: Record<string, unknown>;
}

/** Options for {@link startReceiver}. */
export interface ReceiverOptions {
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** JSON lines file that each notification is appended to. */
  file: string;
  /** Directory whose `*.md` files are served under /runbooks/. */
  runbooksDir?: string;
  logger: Logger;
}

/** A listening receiver. */
export interface RunningReceiver {
  url: string;
  close(): Promise<void>;
}

/** Largest webhook body accepted; Alertmanager's bodies for a few alerts are a few KiB. */
const maxBodyBytes = 1024 * 1024;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Starts the alert receiver: an HTTP server that records Alertmanager
 * webhook deliveries on /page, /warn, /ticket and
 * /deadmansswitch, and returns them all on GET /notifications.
 */
export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  try {
    await mkdir(dirname(options.file), { recursive: true });
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT', `invalid --file ${options.file}: cannot create its `
      + `directory: ${describeFileError(error)}`, { hint: 'pass a file in a writable directory' });
  }
  // Appends run one after another, so concurrent deliveries never interleave lines.
  let appending = Promise.resolve();
  const record = (notification: ReceivedNotification): Promise<void> => {
    const line = `${JSON.stringify(notification)}\n`;
    const appended = appending.then(() => appendFile(options.file, line));
    appending = appended.catch(() => undefined);
    return appended;
  };

  const server = createServer((request, response) => {
    handle(request, response, options, record).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (status >= 500) options.logger.error({ err: error, url: request.url }, 'request failed');
      else options.logger.info({ status, url: request.url, message }, 'request rejected');
      sendJson(response, status, { error: message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, options.host, options.port)));
    server.listen({ host: options.host, port: options.port, exclusive: true }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${formatHostPort(options.host, port)}`;
  options.logger.info({ url, file: options.file }, 'receiver listening');
  return {
    url,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }),
  };
}

/** Turns the errors of a listen call that come from its address into SrekitErrors. */
function listenError(error: Error, host: string, port: number): Error {
  const address = formatHostPort(host, port);
  if (isSystemError(error, 'EADDRINUSE')) {
    return new SrekitError('PORT_IN_USE',
      `could not start the alert receiver: port ${address} is already in use`, {
        hint: 'stop what listens there, or pass another --port',
      });
  }
  if (isSystemError(error, 'EADDRNOTAVAIL') || isSystemError(error, 'ENOTFOUND')) {
    return new SrekitError('INVALID_INPUT',
      `invalid --host ${host}: no network interface of this machine has that address`, {
        hint: 'pass a local address, such as 127.0.0.1 or ::1',
      });
  }
  return error;
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: ReceiverOptions,
  record: (notification: ReceivedNotification) => Promise<void>,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://receiver').pathname;
  const receiver = receiverNames.find((name) => path === `/${name}`);
  if (receiver) {
    requireMethod(request, 'POST');
    const payload = parsePayload(await readBody(request));
    await record({ receiver, receivedAt: new Date().toISOString(), payload });
    options.logger.info({ receiver, status: payload.status, groupKey: payload.groupKey },
      'notification received');
    sendJson(response, 200, { status: 'recorded' });
    return;
  }
  if (path === '/notifications') {
    requireMethod(request, 'GET');
    sendJson(response, 200, await readNotifications(options.file));
    return;
  }
  if (path === '/-/ready' || path === '/-/healthy') {
    requireMethod(request, 'GET');
    sendJson(response, 200, { status: 'ok' });
    return;
  }
  if (path.startsWith('/runbooks/') && options.runbooksDir) {
    requireMethod(request, 'GET');
    await sendRunbook(response, options.runbooksDir, path.slice('/runbooks/'.length));
    return;
  }
  throw new HttpError(404, `no route for ${request.method ?? 'GET'} ${path}`);
}

function requireMethod(request: IncomingMessage, method: string): void {
  if (request.method !== method) {
    throw new HttpError(405, `${request.method ?? ''} is not allowed here: use ${method}`);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBodyBytes) throw new HttpError(413, `body is larger than ${maxBodyBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parsePayload(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'body must be a JSON object (an Alertmanager webhook message)');
  }
  return parsed as Record<string, unknown>;
}

/** Reads every notification recorded in `file`; an absent file means none yet. */
export async function readNotifications(file: string): Promise<ReceivedNotification[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) return [];
    throw error;
  }
  return text.split('\n').filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ReceivedNotification);
}

async function sendRunbook(response: ServerResponse, dir: string, name: string): Promise<void> {
  // Only plain file names, so a request cannot read outside the directory.
  if (!/^[a-z0-9-]+\.md$/.test(name) || basename(name) !== name) {
    throw new HttpError(404, `no runbook named ${name}`);
  }
  let text: string;
  try {
    text = await readFile(join(dir, name), 'utf8');
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) throw new HttpError(404, `no runbook named ${name}`);
    throw error;
  }
  response.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8' });
  response.end(text);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
