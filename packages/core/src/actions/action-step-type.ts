import { defineStepType, type StepTypeDefinition } from '../catalog/types.js';

interface ActionStepConfig {
  action: string;
  output?: 'data' | 'result';
}

/**
 * `action`: calls a named action (declared in the gateway config or registered by code or
 * a plugin) with the step's `input`, and writes the response data (or, with
 * `output: "result"`, the whole {@link ActionResult}) to `output`. Without a `retry` of its
 * own, the step retries `retry_count` times on durable timers.
 */
export function createActionStepType(): StepTypeDefinition<ActionStepConfig> {
  return defineStepType<ActionStepConfig>({
    type: 'action',
    displayName: 'Action',
    category: 'INTEGRATION',
    description:
      'Calls a named action (webhook, REST API, function, database, message queue, gRPC) under its limits; writes the response to `output`.',
    configSchema: {
      type: 'object',
      required: ['action'],
      additionalProperties: false,
      properties: {
        action: { type: 'string', minLength: 1, description: 'Name of a declared or registered action.' },
        output: {
          enum: ['data', 'result'],
          description: '"data" writes the response data; "result" the whole call result.',
        },
      },
    },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    defaultRetry(step, runtime) {
      const name = (step.config as ActionStepConfig | undefined)?.action;
      const count = name ? runtime.actions.get(name)?.retry_count : undefined;
      return count ? { max_attempts: count + 1 } : undefined;
    },
    async handler(ctx) {
      const result = await ctx.actions.execute(ctx.config.action, ctx.input ?? null);
      return { output: ctx.config.output === 'result' ? result : (result.data ?? null) };
    },
  });
}
