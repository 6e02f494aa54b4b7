import type { LlmTestRequest, ScriptedReply } from '@llmteam/testkit';

type WireMessage = {
  role: string;
  content?: string | null;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
};

/** The JSON the user message carries after its leading words ("Validate this order: {...}"). */
function payloadOf(messages: WireMessage[]): Record<string, unknown> {
  const text = messages.find((m) => m.role === 'user')?.content ?? '';
  return JSON.parse(text.slice(text.indexOf('{'))) as Record<string, unknown>;
}

/** Tool results as objects; a refusal (plain text) as `{ refused: text }`. */
const toolResults = (messages: WireMessage[]) =>
  messages
    .filter((m) => m.role === 'tool')
    .map((m): Record<string, unknown> => {
      try {
        return JSON.parse(m.content ?? 'null') as Record<string, unknown>;
      } catch {
        return { refused: m.content };
      }
    });

type Item = { sku: string; qty: number };

/**
 * A scripted model that plays the three agents of `order_pipeline` the way a capable model
 * would, for the model test server: the validator checks the items, the pricer calls
 * `check_inventory` once per item (in parallel) and adds up, the executor calls
 * `create_order` and reports the order id, or the refusal it was given.
 */
export function orderPipelineModel(request: LlmTestRequest): ScriptedReply {
  const messages = request.body.messages as WireMessage[];
  const system = messages[0]?.content ?? '';
  const input = payloadOf(messages);
  const results = toolResults(messages);
  if (system.startsWith('You validate')) {
    const items = (input.items ?? []) as Item[];
    const problems = [
      ...(typeof input.customer === 'string' && input.customer ? [] : ['the order names no customer']),
      ...(items.length ? [] : ['the order has no items']),
      ...items.flatMap((item, i) =>
        Number.isInteger(item.qty) && item.qty >= 1
          ? []
          : [`item ${i + 1} (${item.sku}): qty must be at least 1`],
      ),
    ];
    return { text: JSON.stringify({ valid: problems.length === 0, problems, order: input }) };
  }
  if (system.startsWith('You price')) {
    const items = input.items as Item[];
    if (!results.length)
      return {
        text: 'Checking stock and prices.',
        toolCalls: items.map((item, i) => ({
          id: `inv_${i + 1}`,
          name: 'check_inventory',
          arguments: { sku: item.sku, qty: item.qty },
        })),
      };
    const priced = items.map((item, i) => ({
      sku: item.sku,
      qty: item.qty,
      unit_price: results[i]!.unit_price as number,
      in_stock: results[i]!.in_stock as boolean,
    }));
    const total = priced.reduce((sum, item) => sum + item.qty * item.unit_price, 0);
    return {
      text: JSON.stringify({
        customer: input.customer,
        items: priced,
        total,
        currency: results[0]!.currency,
      }),
    };
  }
  if (!results.length)
    return {
      text: `Placing the order of ${input.customer} for ${input.total} ${input.currency}.`,
      toolCalls: [
        {
          id: 'order_1',
          name: 'create_order',
          arguments: {
            customer: input.customer,
            items: input.items,
            total: input.total,
            currency: input.currency,
          },
        },
      ],
    };
  const [result] = results;
  return {
    text: JSON.stringify(
      typeof result?.order_id === 'string'
        ? { status: 'created', order_id: result.order_id }
        : { status: 'rejected', reason: String(result?.refused) },
    ),
  };
}
