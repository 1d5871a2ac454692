import { sql, type Kysely } from 'kysely';
import { performance } from 'node:perf_hooks';
import type { QueryTimer } from '../telemetry/index.js';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './http-errors.js';
import type { FaultState } from './faults.js';
import type { OrderInput } from './order-input.js';
import type { OrdersSchema, OrdersTable, OrderStatus } from './schema.js';

/** An order as the API returns it. */
export interface Order {
  id: number;
  customer: string;
  status: OrderStatus;
  items: { sku: string; quantity: number }[];
  created_at: string;
  cancelled_at: string | null;
}

/** One page of orders, newest first. */
export interface OrderPage {
  orders: Order[];
  /** Id below which the next page starts, or undefined on the last page. */
  nextBeforeId: number | undefined;
}

/** Outcome of {@link OrdersStore.cancel}. */
export type CancelResult =
  | { outcome: 'cancelled'; order: Order }
  | { outcome: 'not_found' }
  | { outcome: 'already_cancelled'; order: Order };

type OrderRow = Omit<OrdersTable, 'id'> & { id: number };

/**
 * Reads and writes orders. Each public method is one timed operation of
 * `db_query_duration_seconds`, named after it, however many queries it runs.
 * It fails with DatabaseUnavailableError while the `databaseDown` fault is
 * set or when the driver reports that the database cannot be reached.
 */
export class OrdersStore {
  constructor(
    private readonly db: Kysely<OrdersSchema>,
    private readonly timer: QueryTimer,
    private readonly faults?: FaultState,
  ) {}

  /** Inserts an order and its items in one transaction and returns the stored order. */
  async create(input: OrderInput): Promise<Order> {
    const createdAt = new Date().toISOString();
    const id = await this.run('insert_order', () => this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('orders')
        .values({ customer: input.customer, status: 'created', created_at: createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('order_items')
        .values(input.items.map((item, line) => ({ order_id: inserted.id, line, ...item })))
        .execute();
      return inserted.id;
    }));

    return {
      id,
      customer: input.customer,
      status: 'created',
      items: input.items.map(({ sku, quantity }) => ({ sku, quantity })),
      created_at: createdAt,
      cancelled_at: null,
    };
  }

  /** Returns the order with `id`, or undefined when there is none. */
  async find(id: number): Promise<Order | undefined> {
    return this.run('select_order', () => this.selectOrder(id));
  }

  /** Returns up to `limit` orders with ids below `beforeId` (all when absent), newest first. */
  async list(limit: number, beforeId?: number): Promise<OrderPage> {
    return this.run('list_orders', async () => {
      const rows = await this.db
        .selectFrom('orders')
        .selectAll()
        .$if(beforeId !== undefined, (query) => query.where('id', '<', beforeId ?? 0))
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();

      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        orders: await this.withItems(page),
        nextBeforeId: rows.length > limit && last !== undefined ? last.id : undefined,
      };
    });
  }

  /** Cancels the order with `id` unless it is missing or already cancelled. */
  async cancel(id: number): Promise<CancelResult> {
    const cancelledAt = new Date().toISOString();
    return this.run('cancel_order', async () => {
      // The status condition makes the update atomic, so of two concurrent
      // cancels only one changes the row.
      const result = await this.db
        .updateTable('orders')
        .set({ status: 'cancelled', cancelled_at: cancelledAt })
        .where('id', '=', id)
        .where('status', '=', 'created')
        .executeTakeFirst();

      const order = await this.selectOrder(id);
      if (order === undefined) return { outcome: 'not_found' };
      if (result.numUpdatedRows === 0n) return { outcome: 'already_cancelled', order };
      return { outcome: 'cancelled', order };
    });
  }

  /** Runs a trivial query for the readiness probe and rejects when the database is unavailable. */
  async ping(): Promise<void> {
    await this.run('ping', () => sql`select 1`.execute(this.db));
  }

  private async selectOrder(id: number): Promise<Order | undefined> {
    const row = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const [order] = await this.withItems([row]);
    return order;
  }

  private async withItems(rows: OrderRow[]): Promise<Order[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const items = await this.db
      .selectFrom('order_items')
      .select(['order_id', 'sku', 'quantity'])
      .where('order_id', 'in', ids)
      .orderBy('order_id')
      .orderBy('line')
      .execute();

    const itemsByOrder = new Map<number, Order['items']>(ids.map((id) => [id, []]));
    for (const item of items) {
      itemsByOrder.get(item.order_id)?.push({ sku: item.sku, quantity: item.quantity });
    }
    return rows.map((row) => ({
      id: row.id,
      customer: row.customer,
      status: row.status,
      items: itemsByOrder.get(row.id) ?? [],
      created_at: row.created_at,
      cancelled_at: row.cancelled_at,
    }));
  }

  private async run<T>(operation: string, query: () => Promise<T>): Promise<T> {
    if (this.faults?.databaseDown) {
      throw new DatabaseUnavailableError('the database is down (injected fault databaseDown)');
    }
    const start = performance.now();
    try {
      return await query();
    } catch (error) {
      if (isDatabaseUnavailable(error) && !(error instanceof DatabaseUnavailableError)) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new DatabaseUnavailableError(`the database is unavailable: ${reason}`, { cause: error });
      }
      throw error;
    } finally {
      this.timer.record(operation, (performance.now() - start) / 1000);
    }
  }
}
