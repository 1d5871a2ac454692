import { SrekitError } from '../common/errors.js';
import {
  incidentStates, milestones, referenceOf, roles, severities, type EventSource,
  type IncidentState, type Milestone, type Role, type Severity, type UpdateAudience,
} from './model.js';
import type { Actor } from './service-api.js';

/** The maximum length of an incident or action item title, in characters. */
export const maxTitleLength = 200;

/** The maximum length of a note, status update or summary, in characters. */
export const maxTextLength = 10_000;

/** The maximum length of a person, author or service name, in characters. */
export const maxNameLength = 100;

const eventSources: readonly EventSource[] = ['cli', 'api', 'alertmanager', 'reminder', 'system'];
const audiences: readonly UpdateAudience[] = ['internal', 'public'];
const isoTimePattern =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const isoDatePattern = /^\d{4}-\d{2}-\d{2}$/;

// Terminals act on control characters (ESC starts a colour or cursor sequence,
// CR returns to the line start), so text that carries them could rewrite what
// `list` and `show` print. Multi-line text keeps line feeds and tabs.
const controlCharacter = /\p{Cc}/u;
const controlCharacterInMultilineText = /(?![\t\n])\p{Cc}/u;
const controlCharacters = /\p{Cc}/gu;
// A lone UTF-16 surrogate, such as "\ud800" in JSON, has no UTF-8 encoding,
// so every UTF-8 output (terminal, status page, Slack) would show U+FFFD.
const loneSurrogate = /\p{Cs}/u;

/**
 * Escapes each control character in `text` as `\uXXXX`, so that printing the
 * result cannot move the cursor or change colours.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(controlCharacters,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Creates an INVALID_INPUT error naming `field`, the bad value and the rule it breaks. */
export function invalidInput(
  field: string, value: unknown, rule: string, hint?: string,
): SrekitError {
  const quoted = typeof value === 'string'
    ? `"${escapeControlCharacters(value.slice(0, 80))}"`
    : String(value);
  return new SrekitError('INVALID_INPUT', `invalid ${field} ${quoted}: ${rule}`, { hint });
}

/**
 * Returns the trimmed one-line text, raising INVALID_INPUT when it is empty,
 * too long or contains a control character, line breaks included.
 */
export function checkText(field: string, value: unknown, maxLength = maxTextLength): string {
  return checkTextWith(field, value, maxLength, controlCharacter);
}

/**
 * Returns the trimmed text of a note, status update, summary or reason, which
 * may span lines. Raises INVALID_INPUT when it is empty, longer than
 * {@link maxTextLength} or contains a control character other than a line
 * feed or a tab.
 */
export function checkMultilineText(field: string, value: unknown): string {
  return checkTextWith(field, value, maxTextLength, controlCharacterInMultilineText);
}

function checkTextWith(
  field: string, value: unknown, maxLength: number, forbidden: RegExp,
): string {
  if (typeof value !== 'string') throw invalidInput(field, value, 'it must be a string');
  const text = value.trim();
  if (text === '') throw invalidInput(field, value, 'it must not be empty');
  if (text.length > maxLength) {
    throw invalidInput(field, value, `it has ${text.length} characters, more than ${maxLength}`);
  }
  const control = forbidden.exec(text);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw invalidInput(field, value, `it contains the control character U+${code.toUpperCase()}`,
      'remove control characters such as ESC, NUL or CR from the text');
  }
  if (loneSurrogate.test(text)) {
    throw invalidInput(field, value, 'it contains a lone UTF-16 surrogate, which is not valid '
      + 'Unicode', 'send the text as valid UTF-8 or with paired \\u escapes');
  }
  return text;
}

/** Returns `value` when it is one of `allowed`, else raises INVALID_INPUT listing them. */
export function checkChoice<T extends string>(
  field: string, value: unknown, allowed: readonly T[],
): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalidInput(field, value, `it must be one of ${allowed.join(', ')}`);
}

export const checkSeverity = (value: unknown): Severity => checkChoice('severity', value, severities);
export const checkState = (value: unknown): IncidentState =>
  checkChoice('state', value, incidentStates);
export const checkRole = (value: unknown): Role => checkChoice('role', value, roles);
export const checkMilestone = (value: unknown): Milestone =>
  checkChoice('milestone', value, milestones);
export const checkAudience = (value: unknown): UpdateAudience =>
  checkChoice('audience', value, audiences);

/** Returns an ISO 8601 date and time with a zone as UTC (`…Z`), or raises INVALID_INPUT. */
export function checkTime(field: string, value: unknown): string {
  const wellFormed = typeof value === 'string' && isoTimePattern.test(value);
  if (wellFormed && !isCalendarDate(value)) {
    throw invalidInput(field, value, 'the date does not exist in the calendar');
  }
  const time = wellFormed && Number(value.slice(11, 13)) < 24 ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw invalidInput(field, value, 'it must be an ISO 8601 time with a zone',
      'write it like 2026-12-04T20:41:00Z');
  }
  return new Date(time).toISOString();
}

/** Accepts a date (`2026-12-10`) as given or a time, which becomes UTC. */
export function checkDateOrTime(field: string, value: unknown): string {
  if (typeof value === 'string' && isoDatePattern.test(value)) {
    if (!isCalendarDate(value)) {
      throw invalidInput(field, value, 'the date does not exist in the calendar');
    }
    return value;
  }
  return checkTime(field, value);
}

// Date.parse in V8 (Node.js 20) accepts any day up to 31 in every month and
// rolls 2026-02-30 over to March 2, so the day is checked against the month.
function isCalendarDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}

/** Returns the service names trimmed and without repeats, or raises INVALID_INPUT. */
export function checkServices(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidInput('services', value, 'it must be a list of names');
  const names = value.map((name) => checkText('service name', name, maxNameLength));
  return [...new Set(names)];
}

/** Returns an incident number, a positive integer, or raises INVALID_INPUT. */
export function checkNumber(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw invalidInput('incident number', value, 'it must be a positive integer',
    'give the reference as INC-7 or 7');
}

/** Checks the author and source of a change. */
export function checkActor(actor: Actor): Actor {
  return {
    author: checkText('author', actor.author, maxNameLength),
    source: checkChoice('event source', actor.source, eventSources),
  };
}

/** Creates the INCIDENT_NOT_FOUND error for `number`. */
export function incidentNotFound(number: number): SrekitError {
  return new SrekitError('INCIDENT_NOT_FOUND', `incident ${referenceOf(number)} does not exist`, {
    hint: 'run `srekit incident list` to see the references of existing incidents',
  });
}

/** Creates an INCIDENT_INVALID_CHANGE error with the reason. */
export function invalidChange(number: number, message: string, hint?: string): SrekitError {
  return new SrekitError('INCIDENT_INVALID_CHANGE', `cannot change ${referenceOf(number)}: ${message}`,
    { hint });
}
