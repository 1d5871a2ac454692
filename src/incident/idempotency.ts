import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from './service-api.js';
import type { IncidentSchema } from './schema.js';

/** How long a stored response is replayed, in milliseconds: 24 hours. */
export const idempotencyKeyTtlMs = 24 * 60 * 60 * 1000;

/** Status code of a row whose request is still running; no HTTP status is 0. */
const inProgress = 0;

/** A response kept for replay. */
export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

/** The state of a key that {@link IdempotencyStore.begin} found. */
export type IdempotencyClaim =
  | { kind: 'new' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

/**
 * Returns the SHA-256, in hex, of a request's method, path and body. The
 * body is the parsed JSON serialized again, so whitespace differences in
 * the same JSON do not count as a different request.
 */
export function hashRequest(method: string, path: string, body: unknown): string {
  const text = body === undefined ? '' : JSON.stringify(body);
  return createHash('sha256').update(`${method}\n${path}\n${text}`).digest('hex');
}

/**
 * Stores the first response to each Idempotency-Key in `idempotency_keys`
 * so that a repeated request gets the same response without running again.
 * A key is claimed with a row before the command runs, so a concurrent
 * repeat finds the claim and does not run the command a second time.
 */
export class IdempotencyStore {
  private lastCleanupMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Kysely<IncidentSchema>,
    private readonly clock: Clock,
  ) {}

  /**
   * Claims `key` for a request with `requestHash`, or reports the stored
   * response, a claim by a different request, or a request still running.
   */
  async begin(key: string, requestHash: string): Promise<IdempotencyClaim> {
    await this.removeExpired();
    const inserted = await this.db
      .insertInto('idempotency_keys')
      .values({
        key,
        request_hash: requestHash,
        status_code: inProgress,
        response: '',
        created_at: this.clock.now().toISOString(),
      })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { kind: 'new' };

    const row = await this.db
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'status_code', 'response', 'created_at'])
      .where('key', '=', key)
      .executeTakeFirst();
    // The row may have been removed between the two statements.
    if (row === undefined) return this.begin(key, requestHash);
    if (this.isExpired(row.created_at)) {
      await this.db.deleteFrom('idempotency_keys').where('key', '=', key)
        .where('created_at', '=', row.created_at).execute();
      return this.begin(key, requestHash);
    }
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    // NOTE: a server that stops between running a command and storing its
    // response leaves the claim in progress until the key expires, because
    // running the command again might apply it twice.
    if (row.status_code === inProgress) return { kind: 'in-progress' };
    const body: unknown = row.response === '' ? undefined : JSON.parse(row.response);
    return { kind: 'replay', response: { statusCode: row.status_code, body } };
  }

  /** Stores the response to the request that claimed `key`. */
  async complete(key: string, response: StoredResponse): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({
        status_code: response.statusCode,
        response: response.body === undefined ? '' : JSON.stringify(response.body),
      })
      .where('key', '=', key)
      .execute();
  }

  /** Releases `key` after a failure, so that a retry runs the command again. */
  async abandon(key: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('key', '=', key).execute();
  }

  private isExpired(createdAt: string): boolean {
    return Date.parse(createdAt) <= this.clock.now().getTime() - idempotencyKeyTtlMs;
  }

  // Deletes expired keys at most once a minute by the clock, because a DELETE
  // on every write would cost more than the rows it removes.
  private async removeExpired(): Promise<void> {
    const nowMs = this.clock.now().getTime();
    if (nowMs - this.lastCleanupMs < 60_000) return;
    this.lastCleanupMs = nowMs;
    const cutoff = new Date(nowMs - idempotencyKeyTtlMs).toISOString();
    await this.db.deleteFrom('idempotency_keys').where('created_at', '<=', cutoff).execute();
  }
}
