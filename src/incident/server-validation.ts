import type { z } from 'zod';
import { SrekitError } from '../common/errors.js';
import { formatFieldPath, joinFieldPath } from '../common/field-path.js';

/**
 * Validates `value` with `schema` and returns the parsed value, or raises
 * INVALID_INPUT whose message starts with `subject` and names each invalid
 * field by its path, such as `alerts[0].labels.severity`.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  subject: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // The JSON parser turns an empty body into undefined, which zod reports
  // only as "missing" without saying what is missing.
  if (value === undefined) {
    throw new SrekitError('INVALID_INPUT', `${subject}: the request body is empty`, {
      hint: 'send a JSON object with Content-Type: application/json',
    });
  }
  throw new SrekitError('INVALID_INPUT', `${subject}: ${describeIssues(result.error.issues)}`);
}

/**
 * Formats zod issues as one line, one clause per invalid field. Only the
 * first issue of a field is kept, because one bad value often fails
 * several checks.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const seen = new Set<string>();
  const clauses: string[] = [];
  for (const issue of issues) {
    const path = formatFieldPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) clauses.push(`${joinFieldPath(path, key)} is not a known field`);
      continue;
    }
    if (seen.has(path)) continue;
    seen.add(path);
    clauses.push(path === '' ? issue.message : `${path}: ${issue.message}`);
  }
  return clauses.join('; ');
}

/**
 * Builds a zod error option that reports a missing value as "missing" and
 * any other invalid value as `expected` followed by what was received.
 */
export function missingOr(expected: string): { error: (issue: { input: unknown }) => string } {
  return {
    error: (issue) => (issue.input === undefined
      ? 'missing'
      : `expected ${expected}, got ${describeValue(issue.input)}`),
  };
}

/** Describes a JSON value briefly for an error message: its type, or a short string. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
