import type { z } from 'zod';
import { formatFieldPath, joinFieldPath } from '../common/field-path.js';

/**
 * Builds a zod error option that reports a missing value as "is required"
 * and any other invalid value with `expected`.
 */
export function requiredOr(expected: string): { error: (issue: { input: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? 'is required' : expected) };
}

/** The zod error option of a request body that must be a JSON object. */
export const jsonObjectError = {
  error: (issue: { code?: string }) => (issue.code === 'unrecognized_keys'
    ? undefined
    : 'request body must be a JSON object'),
};

/**
 * Formats zod issues as one message that names each bad field by its path,
 * such as `items[0].quantity must be an integer from 1 to 10000`. Only the
 * first issue of each field is reported, because a value such as 1e308 fails
 * several checks that share one rule.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const reportedPaths = new Set<string>();
  const messages = issues.flatMap((issue) => {
    const path = formatFieldPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${joinFieldPath(path, key)} is not a known field`);
    }
    if (reportedPaths.has(path)) return [];
    reportedPaths.add(path);
    return [path === '' ? issue.message : `${path} ${issue.message}`];
  });
  return messages.join('; ');
}

