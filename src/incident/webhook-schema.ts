import { z } from 'zod';
import { SrekitError } from '../common/errors.js';
import { parseWith, missingOr } from './server-validation.js';
import type { AlertmanagerMessage } from './service-api.js';

/** `endsAt` of an alert that is still firing, as Alertmanager writes it. */
export const zeroTime = '0001-01-01T00:00:00Z';

// RFC 3339 as Go's time.Time marshals it: up to nine fractional digits and
// either Z or a numeric offset.
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function isRfc3339(value: string): boolean {
  return rfc3339.test(value) && !Number.isNaN(Date.parse(value));
}

const time = z.string(missingOr('an RFC 3339 time string'))
  .refine(isRfc3339, { error: (issue) => `invalid time ${JSON.stringify(issue.input)}: `
    + 'expected RFC 3339, such as 2026-12-04T20:41:00Z' });

const text = z.string(missingOr('a string'));
const nonEmptyText = text.min(1, { error: 'must not be empty' });

// Label and annotation values must be strings: Alertmanager never sends
// anything else, and the store keeps them as Record<string, string>.
const stringMap = z.record(z.string(), z.string(missingOr('a string value')),
  missingOr('an object of string values'));

const status = z.enum(['firing', 'resolved'], missingOr('"firing" or "resolved"'));

const alertSchema = z.object({
  status,
  labels: stringMap,
  annotations: stringMap,
  startsAt: time,
  endsAt: time,
  generatorURL: text,
  fingerprint: nonEmptyText.max(128, { error: 'must be at most 128 characters' }),
}, missingOr('an alert object'));

/** The Alertmanager webhook message, version 4, as zod checks it. */
export const alertmanagerMessageSchema = z.object({
  version: z.literal('4', {
    error: (issue) => (issue.input === undefined
      ? 'missing'
      : `unsupported version ${JSON.stringify(issue.input)}: only version "4" is accepted`),
  }),
  groupKey: nonEmptyText,
  truncatedAlerts: z.number(missingOr('a whole number'))
    .int({ error: 'must be a whole number' })
    .nonnegative({ error: 'must not be negative' }),
  status,
  receiver: text,
  groupLabels: stringMap,
  commonLabels: stringMap,
  commonAnnotations: stringMap,
  externalURL: text,
  alerts: z.array(alertSchema, missingOr('an array of alerts'))
    .min(1, { error: 'must contain at least one alert' }),
}, missingOr('a JSON object'));

/**
 * Validates a webhook request body as an Alertmanager message (version 4).
 * Raises INVALID_INPUT naming each invalid field, for example
 * `alerts[1].startsAt: invalid time "yesterday"`. Unknown fields
 * are dropped, so later Alertmanager versions that add fields still pass.
 */
export function parseAlertmanagerMessage(body: unknown): AlertmanagerMessage {
  if (body === undefined) {
    throw new SrekitError('INVALID_INPUT', 'invalid Alertmanager webhook message: '
      + 'the request body is empty');
  }
  return parseWith(alertmanagerMessageSchema, body, 'invalid Alertmanager webhook message');
}
