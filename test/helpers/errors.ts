import assert from 'node:assert/strict';
import { SrekitError } from '../../src/common/errors.js';

/**
 * Returns a validator for `assert.rejects` and `assert.throws` that accepts
 * a SrekitError with `code` whose message or hint matches `pattern`.
 */
export function assertSrekitError(code: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof SrekitError, `expected a SrekitError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(`${error.message}\n${error.hint ?? ''}`, pattern);
    return true;
  };
}
