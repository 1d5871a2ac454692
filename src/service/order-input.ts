import { z } from 'zod';
import { HttpError } from './http-errors.js';
import { formatIssues, jsonObjectError, requiredOr } from './validation.js';

/** Limits on one order, so that a single request cannot grow the database without bound. */
export const orderLimits = {
  customerLength: 200,
  skuLength: 64,
  items: 100,
  quantity: 10_000,
} as const;

const customerRule = `must be a non-empty string of at most ${orderLimits.customerLength} characters`;
const skuRule = `must be a non-empty string of at most ${orderLimits.skuLength} characters`;
const itemsRule = `must be an array of 1 to ${orderLimits.items} items`;
const quantityRule = `must be an integer from 1 to ${orderLimits.quantity}`;

const orderItemSchema = z.strictObject({
  sku: z.string(requiredOr(skuRule)).regex(/\S/, skuRule).max(orderLimits.skuLength, skuRule),
  quantity: z
    .number(requiredOr(quantityRule))
    .int(quantityRule)
    .min(1, quantityRule)
    .max(orderLimits.quantity, quantityRule),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be an object') });

const orderInputSchema = z.strictObject({
  customer: z
    .string(requiredOr(customerRule))
    .regex(/\S/, customerRule)
    .max(orderLimits.customerLength, customerRule),
  items: z
    .array(orderItemSchema, requiredOr(itemsRule))
    .min(1, itemsRule)
    .max(orderLimits.items, itemsRule),
}, jsonObjectError);

/** The body of `POST /orders`. */
export type OrderInput = z.infer<typeof orderInputSchema>;

/** Validates a parsed request body, raising HttpError 400 that names each bad field. */
export function parseOrderInput(body: unknown): OrderInput {
  const result = orderInputSchema.safeParse(body);
  if (!result.success) throw new HttpError(400, formatIssues(result.error.issues));
  return result.data;
}
