import type { Generated } from 'kysely';

/** Status of an order; an order is created once and may be cancelled once. */
export type OrderStatus = 'created' | 'cancelled';

/** A row of `orders`. Times are ISO 8601 strings in UTC. */
export interface OrdersTable {
  id: Generated<number>;
  customer: string;
  status: OrderStatus;
  created_at: string;
  cancelled_at: string | null;
}

/** A row of `order_items`: one line of an order, numbered from 0 in request order. */
export interface OrderItemsTable {
  order_id: number;
  line: number;
  sku: string;
  quantity: number;
}

/** The tables of the orders database, as Kysely types them. */
export interface OrdersSchema {
  orders: OrdersTable;
  order_items: OrderItemsTable;
}
