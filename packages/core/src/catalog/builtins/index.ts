import { createActionStepType } from '../../actions/action-step-type.js';
import { StepError } from '../../errors.js';
import { createHumanTaskStepType } from '../../human/human-task.js';
import { createLlmAgentStepType } from '../../llm/llm-agent-step-type.js';
import { handoffToolKind } from '../../orchestration/handoff-tool-kind.js';
import { createPoolToolKind } from '../../orchestration/pool-tool-kind.js';
import { createRouterStepType } from '../../orchestration/router-step-type.js';
import { createSegmentStepType } from '../../orchestration/segment-step-type.js';
import { segmentToolKind } from '../../orchestration/segment-tool-kind.js';
import type { StepDefinition } from '../../segment/types.js';
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
          output: plainJson(
            await expressions.evaluate(ctx.config.expression, ctx.input, passOf(ctx.iteration), site),
          ),
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
        const result = await expressions.evaluate(
          ctx.config.expression,
          ctx.input,
          passOf(ctx.iteration),
          site,
        );
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
      // An untaken branch (its source skipped, rejected or routed elsewhere) never arrives.
      // Once one branch arrived, `all` fails as soon as another is untaken and N as soon as
      // N can no longer arrive; `any` goes on with the first that arrives. While none has
      // arrived the join waits: if every branch is untaken, it is skipped.
      readyWhen(arrived, step, untaken = []) {
        const needed = joinNeeds(step);
        const declared = step.inputs?.length ?? 1;
        return arrived.length >= needed || (arrived.length > 0 && declared - untaken.length < needed);
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
        const needed = joinNeeds(ctx.step);
        const arrived = Object.keys(ctx.inputs);
        if (arrived.length < needed) {
          const missing = (ctx.step.inputs ?? [{ port_id: 'input' }])
            .map((p) => p.port_id)
            .filter((p) => !Object.hasOwn(ctx.inputs, p));
          const mode = ctx.step.config?.mode ?? 'all';
          throw StepError.nonRetryable(
            `parallel_join "${ctx.stepId}" (mode ${JSON.stringify(mode)}) needs ${needed} of its branches, and they can no longer arrive: ${arrived.length ? `${arrived.join(', ')} arrived, ` : ''}${missing.join(', ')} did not, as a branch was not taken (its step skipped, rejected or routed elsewhere). Use mode "any" or a lower number to go on without them.`,
            { code: 'LLMT_E_JOIN_INCOMPLETE', details: { arrived, missing } },
          );
        }
        return { output: { ...ctx.inputs } };
      },
    }),
    createLlmAgentStepType(expressions, {
      toolKinds: [segmentToolKind, handoffToolKind, createPoolToolKind()],
    }),
    createRouterStepType(expressions),
    createSegmentStepType(expressions),
    createHttpActionStepType(),
    createActionStepType(),
    createHumanTaskStepType(),
  ];
}

/** How many branches a `parallel_join` needs: all declared inputs, 1 for `any`, or N. */
function joinNeeds(step: StepDefinition): number {
  const mode = (step.config?.mode as 'all' | 'any' | number | undefined) ?? 'all';
  if (mode === 'any') return 1;
  return mode === 'all' ? (step.inputs?.length ?? 1) : mode;
}

// `$iteration` in `transform` and `condition` expressions: the pass through a revision loop.
const FIRST_PASS = Object.freeze({ iteration: 0 });
function passOf(iteration: number): Record<string, unknown> {
  return iteration === 0 ? FIRST_PASS : { iteration };
}
