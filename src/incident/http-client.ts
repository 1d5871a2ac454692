import { randomUUID } from 'node:crypto';
import { errorCodes, SrekitError, type ErrorCode } from '../common/errors.js';
import type { Incident, IncidentRecord, IncidentState, Milestone, Role, Severity } from './model.js';
import { referenceOf } from './model.js';
import type {
  ActionItemInput, Actor, AlertIntakeOutcome, AlertmanagerMessage, DeclareInput,
  IncidentService, ListFilter, StatusUpdateInput,
} from './service-api.js';

/** Options of {@link HttpIncidentClient}. */
export interface HttpIncidentClientOptions {
  /** Base URL of `srekit incident serve`, such as `http://127.0.0.1:19096`. */
  baseUrl: string;
  token: string;
  /** Time in milliseconds after which a request is abandoned; 10000 by default. */
  timeoutMs?: number;
}

/** The header that carries the actor's name to the server. */
export const authorHeader = 'x-incident-author';
/** The header that carries the actor's source (`cli` or `api`) to the server. */
export const sourceHeader = 'x-incident-source';

/**
 * Runs the incident commands on a remote `srekit incident serve` through its
 * /v1 API. HTTP errors become the SrekitError codes the database-backed
 * service raises. Each write carries its own Idempotency-Key, and a request
 * whose connection fails is sent once more with the same key, so the retry
 * cannot apply a change twice.
 */
export class HttpIncidentClient implements IncidentService {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: HttpIncidentClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Declares an incident through `POST /v1/incidents`. */
  declare(input: DeclareInput, actor: Actor): Promise<Incident> {
    return this.post('/v1/incidents', input, actor);
  }

  /** Lists incidents through `GET /v1/incidents`, optionally by state. */
  async list(filter: ListFilter = {}): Promise<Incident[]> {
    const query = filter.states === undefined ? '' : `?state=${filter.states.join(',')}`;
    const body = await this.send<{ incidents: Incident[] }>('GET', `/v1/incidents${query}`);
    return body.incidents;
  }

  /** Reads one incident with its timeline through `GET /v1/incidents/INC-n`. */
  get(number: number): Promise<IncidentRecord> {
    return this.send('GET', incidentPath(number));
  }

  changeState(
    number: number, to: IncidentState, reason: string | null, actor: Actor,
  ): Promise<Incident> {
    return this.post(`${incidentPath(number)}/state`, { state: to, reason }, actor);
  }

  changeSeverity(number: number, to: Severity, actor: Actor): Promise<Incident> {
    return this.post(`${incidentPath(number)}/severity`, { severity: to }, actor);
  }

  assignRole(number: number, role: Role, person: string, actor: Actor): Promise<Incident> {
    return this.post(`${incidentPath(number)}/roles`, { role, person }, actor);
  }

  addNote(number: number, text: string, actor: Actor): Promise<Incident> {
    return this.post(`${incidentPath(number)}/notes`, { text }, actor);
  }

  postUpdate(number: number, input: StatusUpdateInput, actor: Actor): Promise<Incident> {
    return this.post(`${incidentPath(number)}/updates`, input, actor);
  }

  recordMilestone(
    number: number, milestone: Milestone, at: string, actor: Actor,
  ): Promise<Incident> {
    return this.post(`${incidentPath(number)}/milestones`, { milestone, at }, actor);
  }

  addActionItem(number: number, input: ActionItemInput, actor: Actor): Promise<Incident> {
    return this.post(`${incidentPath(number)}/action-items`, input, actor);
  }

  completeActionItem(number: number, item: number, actor: Actor): Promise<Incident> {
    return this.post(`${incidentPath(number)}/action-items/${item}/done`, {}, actor);
  }

  snoozeReminders(number: number, until: string, actor: Actor): Promise<Incident> {
    return this.post(`${incidentPath(number)}/snooze`, { until }, actor);
  }

  /** Sends an Alertmanager message to the server's webhook, as Alertmanager would. */
  receiveAlerts(message: AlertmanagerMessage, actor: Actor): Promise<AlertIntakeOutcome> {
    return this.post('/v1/webhooks/alertmanager', message, actor);
  }

  /** Does nothing, because the client keeps no connection between requests. */
  async close(): Promise<void> {}

  private post<T>(path: string, body: unknown, actor: Actor): Promise<T> {
    const headers = {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      [authorHeader]: actor.author,
      [sourceHeader]: actor.source,
    };
    return this.send('POST', path, { headers, body: JSON.stringify(body) });
  }

  private async send<T>(
    method: string,
    path: string,
    request: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const init: RequestInit = {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...request.headers },
      body: request.body,
    };
    const response = await this.fetchWithRetry(url, init);
    const text = await response.text();
    if (!response.ok) throw errorFromResponse(method, url, response.status, text);
    return parseJson<T>(text, method, url);
  }

  // Only a failed connection is retried: the request never reached the
  // server, or if it did, the Idempotency-Key makes the server replay its
  // first response instead of running the command again.
  private async fetchWithRetry(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (firstError) {
      if (!isConnectionFailure(firstError)) throw unavailable(url, firstError);
      try {
        return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (secondError) {
        throw unavailable(url, secondError);
      }
    }
  }
}

function incidentPath(number: number): string {
  return `/v1/incidents/${referenceOf(number)}`;
}

function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET';
}

function unavailable(url: string, error: unknown): SrekitError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SrekitError('INCIDENT_SERVER_UNAVAILABLE',
    `could not reach the incident server at ${url}: ${reason}`, {
      hint: 'check that `srekit incident serve` runs there, or pass another --server URL',
      cause: error,
    });
}

const codeByStatus: Readonly<Record<number, ErrorCode>> = {
  400: 'INVALID_INPUT',
  401: 'INCIDENT_UNAUTHORIZED',
  404: 'INCIDENT_NOT_FOUND',
  409: 'INCIDENT_INVALID_CHANGE',
  413: 'INVALID_INPUT',
  422: 'INVALID_INPUT',
};

/**
 * Rebuilds the server's error. The body's `code` wins when it names a known
 * error code, because a 400 may stand for several of them. Otherwise the
 * status decides, and an unlisted status counts as a server failure.
 */
function errorFromResponse(method: string, url: string, status: number, text: string): SrekitError {
  const body = tryParseJson(text);
  const message = typeof body?.error === 'string' ? body.error : text.slice(0, 200);
  const bodyCode = typeof body?.code === 'string' && body.code in errorCodes
    ? body.code as ErrorCode
    : undefined;
  const code = bodyCode ?? codeByStatus[status] ?? 'INCIDENT_SERVER_UNAVAILABLE';
  const hint = typeof body?.hint === 'string' ? body.hint : hintFor(code);
  return new SrekitError(code, `${method} ${url} failed with ${status}: ${message}`, { hint });
}

function hintFor(code: ErrorCode): string | undefined {
  if (code === 'INCIDENT_UNAUTHORIZED') {
    return 'set SREKIT_INCIDENT_TOKEN or --token-file to the token the server was started with';
  }
  if (code === 'INCIDENT_SERVER_UNAVAILABLE') return 'read the incident server log for the cause';
  return undefined;
}

function tryParseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

function parseJson<T>(text: string, method: string, url: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new SrekitError('INCIDENT_SERVER_UNAVAILABLE',
      `${method} ${url} returned a body that is not JSON`, { cause: error });
  }
}
