import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SrekitError } from '../common/errors.js';
import { parseReference, type Incident } from './model.js';
import type { IdempotencyStore, StoredResponse } from './idempotency.js';
import { authorHeader, sourceHeader } from './http-client.js';
import {
  actionItemBody, actionItemDoneBody, closingBody, declareBody, listQuery, milestoneBody,
  noteBody, roleBody, severityBody, snoozeBody, stateBody, updateBody,
} from './server-requests.js';
import { respondIdempotently } from './server-respond.js';
import { parseWith } from './server-validation.js';
import type { Actor, IncidentService } from './service-api.js';

/** Dependencies of the /v1 incident routes. */
export interface IncidentRoutesOptions {
  service: IncidentService;
  idempotency: IdempotencyStore;
}

type IncidentCommand = (number: number, body: unknown, actor: Actor) => Promise<Incident>;

/**
 * Maps each `POST /v1/incidents/:ref/<name>` to its command, which
 * validates the body first.
 */
function incidentCommands(service: IncidentService): Record<string, IncidentCommand> {
  return {
    state: (number, body, actor) => {
      const input = parseWith(stateBody, body, 'invalid state change');
      return service.changeState(number, input.state, input.reason ?? null, actor);
    },
    severity: (number, body, actor) => {
      const input = parseWith(severityBody, body, 'invalid severity change');
      return service.changeSeverity(number, input.severity, actor);
    },
    roles: (number, body, actor) => {
      const input = parseWith(roleBody, body, 'invalid role assignment');
      return service.assignRole(number, input.role, input.person, actor);
    },
    notes: (number, body, actor) => {
      const input = parseWith(noteBody, body, 'invalid note');
      return service.addNote(number, input.text, actor);
    },
    updates: (number, body, actor) => {
      const input = parseWith(updateBody, body, 'invalid status update');
      return service.postUpdate(number, input, actor);
    },
    milestones: (number, body, actor) => {
      const input = parseWith(milestoneBody, body, 'invalid milestone');
      return service.recordMilestone(number, input.milestone, input.at, actor);
    },
    'action-items': (number, body, actor) => {
      const input = parseWith(actionItemBody, body, 'invalid action item');
      return service.addActionItem(number, input, actor);
    },
    snooze: (number, body, actor) => {
      const input = parseWith(snoozeBody, body, 'invalid snooze');
      return service.snoozeReminders(number, input.until, actor);
    },
    resolve: (number, body, actor) => {
      const input = parseWith(closingBody, body, 'invalid resolve request');
      return service.changeState(number, 'resolved', input?.reason ?? null, actor);
    },
    cancel: (number, body, actor) => {
      const input = parseWith(closingBody, body, 'invalid cancel request');
      return service.changeState(number, 'cancelled', input?.reason ?? null, actor);
    },
  };
}

/**
 * Registers the /v1 incident routes: list, show, declare and one POST per
 * command. Every POST accepts an Idempotency-Key.
 */
export function registerIncidentRoutes(
  app: FastifyInstance,
  options: IncidentRoutesOptions,
): void {
  const { service, idempotency } = options;

  app.get('/v1/incidents', async (request) => {
    const query = parseWith(listQuery, request.query, 'invalid query');
    const incidents = await service.list(query.state === undefined ? {} : { states: query.state });
    return { incidents };
  });

  app.get<{ Params: { ref: string } }>('/v1/incidents/:ref', async (request) => {
    return service.get(numberOf(request.params.ref));
  });

  app.post('/v1/incidents', async (request, reply) => {
    await respondIdempotently(idempotency, request, reply, async () => {
      const input = parseWith(declareBody, request.body, 'invalid incident declaration');
      const incident = await service.declare(input, actorOf(request));
      return { statusCode: 201, body: incident };
    }, locationOf);
  });

  for (const [name, command] of Object.entries(incidentCommands(service))) {
    app.post<{ Params: { ref: string } }>(`/v1/incidents/:ref/${name}`, async (request, reply) => {
      await respondIdempotently(idempotency, request, reply, async () => {
        const number = numberOf(request.params.ref);
        const incident = await command(number, request.body, actorOf(request));
        return { statusCode: 200, body: incident } satisfies StoredResponse;
      });
    });
  }

  registerActionItemDone(app, options);
}

/** Registers `POST /v1/incidents/:ref/action-items/:item/done`. */
function registerActionItemDone(app: FastifyInstance, options: IncidentRoutesOptions): void {
  const { service, idempotency } = options;
  const route = '/v1/incidents/:ref/action-items/:item/done';
  app.post<{ Params: { ref: string; item: string } }>(route, async (request, reply) => {
    await respondIdempotently(idempotency, request, reply, async () => {
      const number = numberOf(request.params.ref);
      const item = actionItemOf(request.params.item);
      parseWith(actionItemDoneBody, request.body, 'invalid action item completion');
      const incident = await service.completeActionItem(number, item, actorOf(request));
      return { statusCode: 200, body: incident } satisfies StoredResponse;
    });
  });
}

/** Returns the Location header of a declared incident's response. */
function locationOf(response: StoredResponse): Record<string, string> {
  const body = response.body as Partial<Incident> | undefined;
  if (response.statusCode !== 201 || typeof body?.reference !== 'string') return {};
  return { location: `/v1/incidents/${body.reference}` };
}

/** Parses `INC-7` or `7` from the URL, raising INVALID_INPUT for anything else. */
function numberOf(ref: string): number {
  const number = parseReference(ref);
  if (number === undefined) {
    throw new SrekitError('INVALID_INPUT', `invalid incident reference "${ref.slice(0, 40)}": `
      + 'expected INC- followed by a number, such as INC-7');
  }
  return number;
}

/** Parses the action item number from the URL, raising INVALID_INPUT unless it is positive. */
function actionItemOf(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) {
    throw new SrekitError('INVALID_INPUT', `invalid action item number "${value.slice(0, 40)}": `
      + 'expected a positive integer, such as 2');
  }
  return Number(value);
}

/**
 * Reads the actor of a request from the headers the HTTP client sends: the
 * author's name, and `cli` or `api` as the source. Without them the author
 * is `api`. The service checks the author's length.
 */
function actorOf(request: FastifyRequest): Actor {
  const author = request.headers[authorHeader];
  const source = request.headers[sourceHeader];
  return {
    author: typeof author === 'string' && author.trim() !== '' ? author.trim() : 'api',
    source: source === 'cli' ? 'cli' : 'api',
  };
}
