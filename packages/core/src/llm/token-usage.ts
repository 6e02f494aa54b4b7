import { queryEvents } from '../store/event-query.js';
import type { Store, WorktrailEvent } from '../store/types.js';

/** Token usage summed over model calls. */
export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (part of `inputTokens`). */
  cachedTokens: number;
  /** Model calls counted. */
  calls: number;
  /** Estimated cost from the price table, when every call's model has a price. */
  cost?: number;
}

/** Price of a model, per million tokens (any currency, the same for every model). */
export interface ModelPrice {
  input: number;
  output: number;
  /** Price of cached input tokens. @default `input` */
  cached_input?: number;
}

/** A tenant's token budget per calendar period (UTC). */
export interface TenantTokenBudget {
  /** Input plus output tokens all model calls of the tenant may use in one period. */
  tokens: number;
  period: 'hour' | 'day' | 'week' | 'month';
}

/** Token prices and tenant budgets of an engine (`EngineOptions.tokens`). */
export interface TokenAccountingOptions {
  /** Prices by model name (as `model.call.completed` reports it), per million tokens. @default {} */
  prices?: Record<string, ModelPrice>;
  /** Budgets by tenant id, checked before each model call. @default {} */
  tenantBudgets?: Record<string, TenantTokenBudget>;
}

const zero = (): TokenTotals => ({ inputTokens: 0, outputTokens: 0, cachedTokens: 0, calls: 0 });

/** The usage and model of one `model.call.completed` event, or undefined for other events. */
function callOf(event: WorktrailEvent) {
  if (event.type !== 'model.call.completed') return undefined;
  const usage = (event.data.usage ?? {}) as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    model: typeof event.data.model === 'string' ? event.data.model : undefined,
    input: n(usage.input_tokens),
    output: n(usage.output_tokens),
    cached: n(usage.cached_input_tokens),
  };
}

/**
 * Sums the model calls among `events`: in all and per step. `cost` is set when every call
 * names a model with a price.
 */
export function sumTokenUsage(
  events: Iterable<WorktrailEvent>,
  prices: Record<string, ModelPrice> = {},
): { total: TokenTotals; steps: Map<string, TokenTotals> } {
  const total = zero();
  const steps = new Map<string, TokenTotals>();
  const priced = new Set<TokenTotals>([total]);
  for (const event of events) {
    const call = callOf(event);
    if (!call) continue;
    const stepId = event.step_id ?? '';
    let step = steps.get(stepId);
    if (!step) {
      step = zero();
      steps.set(stepId, step);
      priced.add(step);
    }
    const price = call.model ? prices[call.model] : undefined;
    const cost = price
      ? ((call.input - call.cached) * price.input +
          call.cached * (price.cached_input ?? price.input) +
          call.output * price.output) /
        1_000_000
      : undefined;
    for (const t of [total, step]) {
      t.inputTokens += call.input;
      t.outputTokens += call.output;
      t.cachedTokens += call.cached;
      t.calls++;
      if (cost === undefined) priced.delete(t);
      else t.cost = (t.cost ?? 0) + cost;
    }
  }
  for (const t of [total, ...steps.values()]) if (!priced.has(t) || t.calls === 0) delete t.cost;
  return { total, steps };
}

/** The start of the budget period that holds `now` (UTC; weeks start on Monday). */
export function periodStart(now: number, period: TenantTokenBudget['period']): Date {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (period) {
    case 'hour':
      return new Date(Date.UTC(y, m, day, d.getUTCHours()));
    case 'day':
      return new Date(Date.UTC(y, m, day));
    case 'week':
      return new Date(Date.UTC(y, m, day - ((d.getUTCDay() + 6) % 7)));
    default:
      return new Date(Date.UTC(y, m, 1));
  }
}

/** Usage of one run, from its stored model calls. */
export async function runTokenUsage(
  store: Store,
  tenantId: string,
  runId: string,
  prices?: Record<string, ModelPrice>,
): Promise<{ total: TokenTotals; steps: Map<string, TokenTotals> }> {
  return sumTokenUsage(await store.listEvents(tenantId, runId), prices);
}

/** Usage of a tenant between two times, from its stored model calls. */
export async function tenantTokenUsage(
  store: Store,
  tenantId: string,
  range: { from?: string; to?: string },
  prices?: Record<string, ModelPrice>,
): Promise<TokenTotals> {
  const events: WorktrailEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await queryEvents(store, tenantId, {
      types: ['model.call.completed'],
      ...range,
      limit: 1000,
      ...(after ? { after } : {}),
    });
    events.push(...page.items);
    if (!page.nextCursor) break;
    after = page.nextCursor;
  }
  return sumTokenUsage(events, prices).total;
}
