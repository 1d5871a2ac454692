import { z } from 'zod';
import { incidentStates, milestones, roles, severities } from './model.js';
import { missingOr } from './server-validation.js';

/*
 * The request bodies of the /v1 incident routes. They check JSON types and
 * allowed values, and the incident service checks lengths, times and the
 * incident's state. Unknown fields are rejected, so a misspelt field fails
 * instead of being ignored.
 */

const text = z.string(missingOr('a string'));
const optionalText = text.optional();
const time = z.string(missingOr('an ISO 8601 time string, such as 2026-12-04T21:00:00Z'));

const severity = z.enum(severities, missingOr(`one of ${severities.join(', ')}`));
const state = z.enum(incidentStates, missingOr(`one of ${incidentStates.join(', ')}`));

function body<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, missingOr('a JSON object'));
}

export const declareBody = body({
  title: text,
  severity,
  services: z.array(text, missingOr('an array of strings')).optional(),
  summary: optionalText,
  commander: optionalText,
});

export const stateBody = body({ state, reason: text.nullable().optional() });

export const severityBody = body({ severity });

export const roleBody = body({
  role: z.enum(roles, missingOr(`one of ${roles.join(', ')}`)),
  person: text,
});

export const noteBody = body({ text });

export const updateBody = body({
  audience: z.enum(['internal', 'public'], missingOr('"internal" or "public"')),
  text,
  state: state.optional(),
});

export const milestoneBody = body({
  milestone: z.enum(milestones, missingOr(`one of ${milestones.join(', ')}`)),
  at: time,
});

export const actionItemBody = body({ title: text, owner: text, due: text });

export const snoozeBody = body({ until: time });

/** The body of `/action-items/N/done`: nothing, or an empty object. */
export const actionItemDoneBody = body({}).optional();

/** The body of `/resolve` and `/cancel`, which may be empty. */
export const closingBody = body({ reason: text.nullable().optional() }).optional();

/**
 * Parses the `state` query parameter of `GET /v1/incidents`: states
 * separated by commas, or undefined for all incidents.
 */
export const listQuery = z.strictObject({
  state: z.string(missingOr('a comma-separated list of states'))
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((e) => e !== ''))
    .pipe(z.array(state))
    .optional(),
}, missingOr('query parameters'));
