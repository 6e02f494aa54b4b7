import { createActionStepType } from '../../actions/action-step-type.js';
import { createHumanTaskStepType } from '../../human/human-task.js';
import { createLlmAgentStepType } from '../../llm/llm-agent-step-type.js';
import { createRouterStepType } from '../../orchestration/router-step-type.js';
import { createSegmentStepType } from '../../orchestration/segment-step-type.js';
import { segmentToolKind } from '../../orchestration/segment-tool-kind.js';
import type { StepTypeDefinition } from '../types.js';
import { defineStepType } from '../types.js';
import { ExpressionCache } from './expression.js';
import { createHttpActionStepType } from './http-action.js';

function expressionCheck(
  expressions: ExpressionCache,
): (step: { config?: Record<string, unknown> }) => Array<[string, string]> {
  return (step) => {
    const error = expressions.syntaxError(step.config?.expression);
    return error ? [['.config.expression', `JSONata syntax error: ${error}`]] : [];
  };
}

/**
 * JSONata marks result arrays (sequences) and may return functions; the output is stored and
 * read back as JSON, so it is made plain JSON here: every store then returns the same value.
 */
function plainJson(value: unknown): unknown {
  if (value === undefined || value === null || typeof value !== 'object') return value;
  return JSON.parse(JSON.stringify(value));
}

/** The built-in step types. Each call returns fresh definitions with their own caches. */
export function createBuiltinStepTypes(): StepTypeDefinition[] {
  const expressions = new ExpressionCache();
  const checkExpression = expressionCheck(expressions);
  return [
    defineStepType<{ expression: string }>({
      type: 'transform',
      displayName: 'Transform',
      category: 'UTILITY',
      description: 'Reshapes its input with a JSONata expression and writes the result to `output`.',
      configSchema: {
        type: 'object',
        required: ['expression'],
        properties: {
          expression: { type: 'string', minLength: 1, description: 'JSONata expression over the input.' },
        },
      },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      validate: checkExpression,
      async handler(ctx) {
        const site = { stepId: ctx.stepId, field: 'config.expression' };
        return {
          output: plainJson(await expressions.evaluate(ctx.config.expression, ctx.input, undefined, site)),
        };
      },
    }),
    defineStepType<{ expression: string }>({
      type: 'condition',
      displayName: 'Condition',
      category: 'CONTROL',
      description: 'Evaluates a JSONata expression; routes the input unchanged to `true` or `false`.',
      configSchema: {
        type: 'object',
        required: ['expression'],
        properties: {
          expression: {
            type: 'string',
            minLength: 1,
            description: 'JSONata expression; truthy routes to `true`.',
          },
        },
      },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'true' }, { port_id: 'false' }],
      validate: checkExpression,
      async handler(ctx) {
        const site = { stepId: ctx.stepId, field: 'config.expression' };
        const result = await expressions.evaluate(ctx.config.expression, ctx.input, undefined, site);
        return result ? { true: ctx.input } : { false: ctx.input };
      },
    }),
    defineStepType({
      type: 'parallel_split',
      displayName: 'Parallel split',
      category: 'CONTROL',
      description: 'Copies its input to every declared output port, starting the branches at once.',
      configSchema: { type: 'object', properties: {} },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      dynamicPorts: true,
      handler(ctx) {
        const ports = ctx.step.outputs?.map((p) => p.port_id) ?? ['output'];
        return Object.fromEntries(ports.map((p) => [p, ctx.input]));
      },
    }),
    defineStepType<{ mode?: 'all' | 'any' | number }>({
      type: 'parallel_join',
      displayName: 'Parallel join',
      category: 'CONTROL',
      description:
        'Gathers its declared inputs into `output` (an object keyed by port): all, any, or the first N.',
      configSchema: {
        type: 'object',
        properties: {
          mode: {
            description:
              '"all" waits for every branch; "any" goes on with the first; a number N with the first N.',
            oneOf: [{ enum: ['all', 'any'] }, { type: 'integer', minimum: 1 }],
          },
        },
      },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      dynamicPorts: true,
      readyWhen(arrived, step) {
        const mode = (step.config?.mode as 'all' | 'any' | number | undefined) ?? 'all';
        if (mode === 'all') return false;
        return arrived.length >= (mode === 'any' ? 1 : mode);
      },
      validate(step) {
        const mode = step.config?.mode;
        const count = step.inputs?.length ?? 1;
        return typeof mode === 'number' && mode > count
          ? [
              [
                '.config.mode',
                `mode ${mode} waits for more branches than the ${count} declared inputs; lower it or declare more inputs`,
              ],
            ]
          : [];
      },
      handler(ctx) {
        return { output: { ...ctx.inputs } };
      },
    }),
    createLlmAgentStepType(expressions, { toolKinds: [segmentToolKind] }),
    createRouterStepType(expressions),
    createSegmentStepType(expressions),
    createHttpActionStepType(),
    createActionStepType(),
    createHumanTaskStepType(),
  ];
}
