import assert from 'node:assert/strict';
import { errorMessage, requestJson, startTestService } from './service.js';

interface OrderBody {
  id: number;
  customer: string;
  status: string;
  items: { sku: string; quantity: number }[];
  created_at: string;
  cancelled_at: string | null;
}

interface PageBody {
  orders: OrderBody[];
  next_cursor: string | null;
}

/**
 * Creates, reads, lists and cancels one order against the service at `url`,
 * checking each response. The same checks run on SQLite and PostgreSQL.
 */
export async function checkOrderLifecycle(url: string): Promise<void> {
  const input = { customer: 'acme', items: [{ sku: 'A-1', quantity: 2 }, { sku: 'B-2', quantity: 1 }] };
  const created = await requestJson(`${url}/orders`, { method: 'POST', body: input });
  assert.equal(created.status, 201);
  const order = created.body as OrderBody;
  assert.equal(typeof order.id, 'number');
  assert.equal(order.customer, 'acme');
  assert.equal(order.status, 'created');
  assert.deepEqual(order.items, input.items);
  assert.equal(order.cancelled_at, null);
  assert.ok(!Number.isNaN(Date.parse(order.created_at)), `created_at ${order.created_at} is not a date`);
  assert.equal(created.headers.get('location'), `/orders/${order.id}`);

  const read = await requestJson(`${url}/orders/${order.id}`);
  assert.equal(read.status, 200);
  assert.deepEqual(read.body, order);

  const listed = await requestJson(`${url}/orders`);
  assert.equal(listed.status, 200);
  assert.deepEqual((listed.body as PageBody).orders[0], order);

  const cancelled = await requestJson(`${url}/orders/${order.id}/cancel`, { method: 'POST' });
  assert.equal(cancelled.status, 200);
  const cancelledOrder = cancelled.body as OrderBody;
  assert.equal(cancelledOrder.status, 'cancelled');
  assert.ok(cancelledOrder.cancelled_at !== null, 'cancelled_at is not set');

  const reread = await requestJson(`${url}/orders/${order.id}`);
  assert.deepEqual(reread.body, cancelledOrder);

  const again = await requestJson(`${url}/orders/${order.id}/cancel`, { method: 'POST' });
  assert.equal(again.status, 409);
  assert.match(errorMessage(again), new RegExp(`order ${order.id} is already cancelled`));
}

/**
 * Creates `count` orders and walks `GET /orders` with `limit` until
 * `next_cursor` is null, checking that the pages hold every order once,
 * newest first. Expects the database to start empty.
 */
export async function checkPagingAcrossPages(
  url: string,
  count: number,
  limit: number,
): Promise<void> {
  const createdIds: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const body = { customer: `customer-${index}`, items: [{ sku: 'SKU', quantity: index + 1 }] };
    const created = await requestJson(`${url}/orders`, { method: 'POST', body });
    assert.equal(created.status, 201);
    createdIds.push((created.body as OrderBody).id);
  }

  const pageSizes: number[] = [];
  const seenIds: number[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? `limit=${limit}` : `limit=${limit}&cursor=${cursor}`;
    const page = await requestJson(`${url}/orders?${query}`);
    assert.equal(page.status, 200);
    const body = page.body as PageBody;
    pageSizes.push(body.orders.length);
    seenIds.push(...body.orders.map((order) => order.id));
    cursor = body.next_cursor;
  } while (cursor !== null && pageSizes.length <= count);

  const expectedSizes = Array.from({ length: Math.ceil(count / limit) }, (_, page) =>
    Math.min(limit, count - page * limit));
  assert.deepEqual(pageSizes, expectedSizes);
  assert.deepEqual(seenIds, [...createdIds].reverse());
}

/**
 * Starts the service on `databaseUrl`, creates an order, restarts the
 * service on the same database and checks that the order is still there,
 * which also runs the migrations a second time.
 */
export async function checkRestartKeepsOrders(databaseUrl: string): Promise<void> {
  const first = await startTestService({ databaseUrl });
  const body = { customer: 'restart', items: [{ sku: 'R', quantity: 3 }] };
  const created = await requestJson(`${first.url}/orders`, { method: 'POST', body });
  await first.stop();
  assert.equal(created.status, 201);

  const second = await startTestService({ databaseUrl });
  try {
    const order = created.body as OrderBody;
    const read = await requestJson(`${second.url}/orders/${order.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, order);
  } finally {
    await second.stop();
  }
}
