import type { FastifyPluginCallback, HTTPMethods, onRequestAsyncHookHandler } from 'fastify';
import { setTimeout as delay } from 'node:timers/promises';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { FaultState } from './faults.js';
import { HttpError } from './http-errors.js';
import { parseOrderInput } from './order-input.js';
import type { OrdersStore } from './orders-store.js';

/** Options of {@link ordersRoutes}. */
export interface OrdersRoutesOptions {
  store: OrdersStore;
  /** Faults to apply to these routes; none when absent. */
  faults?: FaultState;
}

/** Methods of each path that {@link ordersRoutes} registers; other methods get 405. */
export const ordersRouteMethods: Readonly<Record<string, readonly HTTPMethods[]>> = {
  '/orders': ['GET', 'POST'],
  '/orders/:id': ['GET'],
  '/orders/:id/cancel': ['POST'],
};

/** Page size of `GET /orders` when `limit` is absent, and its maximum. */
export const pageLimits = { default: 20, max: 100 } as const;

const maxOrderId = 2_147_483_647;

/**
 * Registers the orders API: create, list (newest first, with cursor paging),
 * read and cancel. Injected faults apply to these routes only, because the plugin is
 * encapsulated and its hooks do not reach the probes or /metrics.
 */
export const ordersRoutes: FastifyPluginCallback<OrdersRoutesOptions> = (app, options, done) => {
  const { store, faults } = options;
  if (faults !== undefined) app.addHook('onRequest', createFaultHook(faults));

  app.post('/orders', async (request, reply) => {
    const order = await store.create(parseOrderInput(request.body));
    return reply.code(201).header('location', `/orders/${order.id}`).send(order);
  });

  app.get('/orders', async (request) => {
    const { limit, cursor } = parseListQuery(request.query);
    const page = await store.list(limit, cursor === undefined ? undefined : decodeCursor(cursor));
    const nextCursor = page.nextBeforeId === undefined ? null : encodeCursor(page.nextBeforeId);
    return { orders: page.orders, next_cursor: nextCursor };
  });

  app.get<{ Params: { id: string } }>('/orders/:id', async (request) => {
    const id = parseOrderId(request.params.id);
    const order = await store.find(id);
    if (order === undefined) throw orderNotFound(request.params.id);
    return order;
  });

  app.post<{ Params: { id: string } }>('/orders/:id/cancel', async (request) => {
    const id = parseOrderId(request.params.id);
    const result = await store.cancel(id);
    if (result.outcome === 'not_found') throw orderNotFound(request.params.id);
    if (result.outcome === 'already_cancelled') {
      throw new HttpError(409, `order ${id} is already cancelled (at ${result.order.cancelled_at})`);
    }
    return result.order;
  });

  done();
};

function createFaultHook(faults: FaultState): onRequestAsyncHookHandler {
  return async (_request, reply) => {
    if (faults.latencyMs > 0) await delay(faults.latencyMs);
    if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
      return reply.code(500).send({ error: 'injected fault' });
    }
  };
}

function parseListQuery(query: unknown): { limit: number; cursor: string | undefined } {
  const values = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  const limitText = singleValue(values, 'limit');
  const cursor = singleValue(values, 'cursor');

  let limit: number = pageLimits.default;
  if (limitText !== undefined) {
    limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : 0;
    if (limit < 1 || limit > pageLimits.max) {
      throw new HttpError(400, `limit must be an integer from 1 to ${pageLimits.max}, got "${limitText}"`);
    }
  }
  return { limit, cursor };
}

function singleValue(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new HttpError(400, `${name} must be given at most once`);
}

function parseOrderId(text: string): number {
  const id = /^[1-9]\d{0,9}$/.test(text) ? Number(text) : 0;
  if (id < 1 || id > maxOrderId) throw orderNotFound(text);
  return id;
}

function orderNotFound(id: string): HttpError {
  const truncated = id.length > 64 ? `${id.slice(0, 64)}…` : id;
  return new HttpError(404, `order "${truncated}" not found`);
}
