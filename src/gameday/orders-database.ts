import Database from 'better-sqlite3';

/** An order as stored in the service's `orders` table, reduced to what a read must return. */
export interface StoredOrder {
  id: number;
  customer: string;
}

/** The orders in the service's database at one moment. */
export interface OrdersSnapshot {
  count: number;
  /** The newest order first, then up to `sampleSize - 1` others picked at random. */
  sample: StoredOrder[];
}

/** The result of {@link inspectDatabase} on a database file. */
export interface DatabaseInspection {
  /** The first row of `PRAGMA integrity_check`: "ok" for an intact database. */
  integrity: string;
  orderCount: number;
}

/**
 * Counts the orders in the SQLite database at `path` and picks a sample of
 * them, through a read-only connection. The service may keep writing, because
 * it runs the database in WAL mode, where readers see one committed state.
 */
export function readOrders(path: string, sampleSize: number): OrdersSnapshot {
  const database = new Database(path, { readonly: true, fileMustExist: true });
  try {
    database.pragma('busy_timeout = 5000');
    // One read transaction, so the count and the sample come from the same state.
    return database.transaction(() => {
      const count = countOrders(database);
      const newest = database.prepare('SELECT id, customer FROM orders ORDER BY id DESC LIMIT 1')
        .all() as StoredOrder[];
      const others = database.prepare(
        'SELECT id, customer FROM orders WHERE id < ? ORDER BY random() LIMIT ?',
      ).all(newest[0]?.id ?? 0, Math.max(sampleSize - 1, 0)) as StoredOrder[];
      return { count, sample: [...newest, ...others] };
    })();
  } finally {
    database.close();
  }
}

/**
 * Runs `PRAGMA integrity_check` on the database file at `path` and counts its
 * orders. It opens the file for writing, as the service would, so SQLite
 * may create and remove the -wal and -shm files beside it.
 */
export function inspectDatabase(path: string): DatabaseInspection {
  const database = new Database(path, { fileMustExist: true });
  try {
    const integrity = database.pragma('integrity_check', { simple: true });
    return { integrity: String(integrity), orderCount: countOrders(database) };
  } finally {
    database.close();
  }
}

function countOrders(database: Database.Database): number {
  const row = database.prepare('SELECT count(*) AS count FROM orders').get() as { count: number };
  return row.count;
}
