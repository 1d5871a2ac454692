import { HttpError } from './http-errors.js';

/**
 * Encodes the position after which the next page of `GET /orders` starts.
 * Clients must treat the cursor as opaque, because its content may change.
 */
export function encodeCursor(beforeId: number): string {
  return Buffer.from(JSON.stringify({ before: beforeId })).toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}, raising HttpError 400 when it is invalid. */
export function decodeCursor(cursor: string): number {
  const beforeId = readBeforeId(cursor);
  if (beforeId === undefined) {
    const truncated = cursor.length > 64 ? `${cursor.slice(0, 64)}…` : cursor;
    throw new HttpError(400, `invalid cursor "${truncated}": pass the next_cursor value of the previous page unchanged`);
  }
  return beforeId;
}

function readBeforeId(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof decoded !== 'object' || decoded === null || !('before' in decoded)) return undefined;
    const { before } = decoded;
    if (typeof before !== 'number' || !Number.isSafeInteger(before) || before < 1) return undefined;
    // Only the exact encoding of a valid position is accepted, so extra
    // fields or stray characters are reported rather than ignored.
    return encodeCursor(before) === cursor ? before : undefined;
  } catch {
    return undefined;
  }
}
