/** An error the API returns to the client as `{error: message}` with `statusCode`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * An error raised when the database cannot be reached or used: a refused or
 * lost connection, a locked or unreadable SQLite file, or the injected
 * `databaseDown` fault. The API returns 503 for it.
 */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DatabaseUnavailableError';
  }
}

// Error codes of node-postgres and its socket for a database it cannot reach.
const unreachableSocketCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE',
]);

// PostgreSQL SQLSTATE codes that mean the server is going away or refusing
// connections: class 08 is "connection exception", 57P01-57P03 are shutdowns
// and "cannot connect now", 53300 is "too many connections".
const unavailablePostgresStates = new Set(['57P01', '57P02', '57P03', '53300']);

// better-sqlite3 error codes for a file that cannot be read, written or locked.
const unavailableSqlitePrefixes = [
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_FULL',
  'SQLITE_READONLY',
];

/**
 * Returns true when `error`, raised by a database driver, means the database
 * is unavailable rather than that the query itself is wrong.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (!(error instanceof Error)) return false;

  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string') {
    if (unreachableSocketCodes.has(code)) return true;
    if (code.startsWith('08') || unavailablePostgresStates.has(code)) return true;
    if (unavailableSqlitePrefixes.some((prefix) => code.startsWith(prefix))) return true;
  }

  // node-postgres raises these without a code when a pooled connection fails.
  return /Connection terminated|timeout exceeded when trying to connect|database connection is not open/i
    .test(error.message);
}
