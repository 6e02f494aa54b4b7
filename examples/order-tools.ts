import { createHash } from 'node:crypto';
import { definePlugin, type LlmteamPlugin } from '@llmteam/core';

/** One line of the example's stock table. */
export interface StockLine {
  available: number;
  unit_price: number;
}

/** Options of the example plugin (its entry in `llmteam.config.ts`). */
export interface OrderToolsOptions {
  /** Stock and prices by SKU. @default widget, gadget and gizmo (see {@link DEFAULT_STOCK}) */
  stock?: Record<string, StockLine>;
  /** Currency of the prices. @default "EUR" */
  currency?: string;
}

/** The stock table the example ships with. */
export const DEFAULT_STOCK: Record<string, StockLine> = {
  widget: { available: 500, unit_price: 30 },
  gadget: { available: 40, unit_price: 12.5 },
  gizmo: { available: 5, unit_price: 99 },
};

/** An order the `create_order` tool made. */
export interface CreatedOrder {
  order_id: string;
  customer: string;
  total: number;
  currency: string;
  status: 'created';
}

/** JSON Schemas of the tools' arguments: the engine refuses a call that does not fit. */
export const ORDER_TOOL_SCHEMAS = {
  check_inventory: {
    type: 'object',
    required: ['sku', 'qty'],
    properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
  },
  create_order: {
    type: 'object',
    required: ['customer', 'items', 'total', 'currency'],
    properties: {
      customer: { type: 'string', minLength: 1 },
      items: { type: 'array', minItems: 1 },
      total: { type: 'number', minimum: 0 },
      currency: { type: 'string' },
    },
  },
} as const;

/**
 * The order pipeline's tools as function actions, so the example runs with no ERP:
 * `check_inventory` ({ sku, qty }) answers from a stock table, and `create_order`
 * ({ customer, items, total, currency }) creates an order once per idempotency key (the
 * agent sends `runId:stepId:turn:callId`), answering a repeated call with the same order.
 * It also resolves the secret `openai_api_key` from the `OPENAI_API_KEY` environment
 * variable, for the `openai` provider of the example config.
 */
export function createOrderTools(options: OrderToolsOptions = {}) {
  const stock = options.stock ?? DEFAULT_STOCK;
  const currency = options.currency ?? 'EUR';
  const orders = new Map<string, CreatedOrder>();
  return {
    orders,
    checkInventory(input: { sku: string; qty: number }) {
      const { sku, qty } = input;
      const line = Object.hasOwn(stock, sku) ? stock[sku] : undefined;
      if (!line) return { sku, known: false, in_stock: false };
      return {
        sku,
        known: true,
        available: line.available,
        in_stock: line.available >= qty,
        unit_price: line.unit_price,
        currency,
      };
    },
    createOrder(
      input: { customer: string; total: number; currency: string },
      idempotencyKey: string,
    ): CreatedOrder {
      const done = orders.get(idempotencyKey);
      if (done) return done;
      const order: CreatedOrder = {
        order_id: `ord-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 10)}`,
        customer: input.customer,
        total: input.total,
        currency: input.currency,
        status: 'created',
      };
      orders.set(idempotencyKey, order);
      return order;
    },
  };
}

/** The example plugin: `check_inventory`, `create_order` and the `openai_api_key` secret. */
const plugin: LlmteamPlugin = definePlugin({
  name: 'llmteam-example-order-tools',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  setup(api) {
    const tools = createOrderTools(api.options as OrderToolsOptions);
    api.registerAction(
      'check_inventory',
      async (input) => tools.checkInventory(input as { sku: string; qty: number }),
      { request_schema: ORDER_TOOL_SCHEMAS.check_inventory },
    );
    api.registerAction(
      'create_order',
      async (input, ctx) =>
        tools.createOrder(input as { customer: string; total: number; currency: string }, ctx.idempotencyKey),
      { request_schema: ORDER_TOOL_SCHEMAS.create_order },
    );
    api.registerSecretsProvider({
      async get(name) {
        return name === 'openai_api_key' ? process.env.OPENAI_API_KEY || undefined : undefined;
      },
    });
  },
});

export default plugin;
