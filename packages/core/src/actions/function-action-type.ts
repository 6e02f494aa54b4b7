import { LlmteamError } from '../errors.js';
import type { ActionTypeHandler } from './types.js';

/** `function` actions: code registered with `registerAction(name, fn)`; its return value is the data. */
export const functionActionType: ActionTypeHandler = {
  type: 'function',
  async execute(input, ctx) {
    if (!ctx.fn) {
      throw new LlmteamError(
        'LLMT_E_ACTION_CONFIG',
        `action "${ctx.action}" has type "function" but no function is registered for it; register it with registerAction("${ctx.action}", fn)`,
        { details: { action: ctx.action, field: 'type' } },
      );
    }
    return { data: await ctx.fn(input, ctx) };
  },
};
