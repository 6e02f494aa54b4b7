import type { ExpressionCache } from '../catalog/builtins/expression.js';
import type { StepContext } from '../catalog/types.js';
import { isLlmteamError } from '../errors.js';
import { redactSealed } from '../sealing/sealed-value.js';
import { agentError, agentInput } from './agent-error.js';
import type { LlmAgentConfig } from './llm-agent-config.js';

/** One key an agent reads from memory: its own, or another agent's (threading). */
export type AgentMemoryRead = string | { key: string; from?: string };

/**
 * One key an agent writes to its memory when it finishes: a plain key writes the field of
 * that name of its answer (needs `output_schema`); `value` is JSONata over
 * `{ output, input }` instead.
 */
export type AgentMemoryWrite = string | { key: string; value?: string; ttl?: string | number };

/** The `memory` key of an `llm_agent` config (snake_case, as in segment JSON). */
export interface LlmAgentMemoryConfig {
  /** The agent whose memory the step reads and writes. @default the step id */
  namespace?: string;
  /** Keys put into the agent's context before its first model call (and bound as `$memory` in `prompt`). @default [] */
  read?: AgentMemoryRead[];
  /** Keys written from the final answer, once, in the step's attempt. @default [] */
  write?: AgentMemoryWrite[];
}

/** JSON Schema of {@link LlmAgentMemoryConfig}. */
export const agentMemoryConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    namespace: { type: 'string', minLength: 1 },
    read: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            required: ['key'],
            additionalProperties: false,
            properties: { key: { type: 'string', minLength: 1 }, from: { type: 'string', minLength: 1 } },
          },
        ],
      },
    },
    write: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            required: ['key'],
            additionalProperties: false,
            properties: {
              key: { type: 'string', minLength: 1 },
              value: { type: 'string', minLength: 1 },
              ttl: { type: ['string', 'number'] },
            },
          },
        ],
      },
    },
  },
};

const readOf = (entry: AgentMemoryRead) => (typeof entry === 'string' ? { key: entry } : entry);
const writeOf = (entry: AgentMemoryWrite) => (typeof entry === 'string' ? { key: entry } : entry);

/** Validation problems of `config.memory` (paths relative to the step). */
export function agentMemoryProblems(
  config: Partial<LlmAgentConfig>,
  expressions: ExpressionCache,
): Array<[string, string]> {
  const memory = config.memory;
  if (!memory) return [];
  const problems: Array<[string, string]> = [];
  const read = new Set<string>();
  (memory.read ?? []).forEach((entry, i) => {
    const { key } = readOf(entry);
    if (read.has(key))
      problems.push([`.config.memory.read[${i}]`, `key "${key}" is read twice; each key once`]);
    read.add(key);
  });
  const written = new Set<string>();
  (memory.write ?? []).forEach((entry, i) => {
    const { key, value } = writeOf(entry);
    if (written.has(key))
      problems.push([`.config.memory.write[${i}]`, `key "${key}" is written twice; each key once`]);
    written.add(key);
    if (value === undefined && !config.output_schema)
      problems.push([
        `.config.memory.write[${i}]`,
        `key "${key}" alone writes the answer's field "${key}", which needs output_schema; give "value" (JSONata over { output, input }) instead`,
      ]);
    const syntax = value === undefined ? undefined : expressions.syntaxError(value);
    if (syntax) problems.push([`.config.memory.write[${i}].value`, `JSONata syntax error: ${syntax}`]);
  });
  return problems;
}

/**
 * Reads the configured keys (absent or expired ones are left out), keyed by key. Each
 * reads from the step's namespace unless it names another agent (`from`), in the run's
 * tenant only.
 */
export async function readAgentMemory(ctx: StepContext<LlmAgentConfig>): Promise<Record<string, unknown>> {
  const memory = ctx.config.memory;
  const out: Record<string, unknown> = {};
  if (!memory?.read?.length) return out;
  const own = memory.namespace ?? ctx.stepId;
  for (const [i, entry] of memory.read.entries()) {
    const { key, from } = readOf(entry);
    try {
      const value = await ctx.memory(from ?? own).get(key);
      if (value !== undefined) out[key] = value;
    } catch (error) {
      if (isLlmteamError(error)) throw agentError(ctx, error.code, `config.memory.read[${i}]`, error.message);
      throw error;
    }
  }
  return out;
}

/** The system message that puts read memory into the agent's context, or undefined. */
export function memoryMessage(values: Record<string, unknown>): string | undefined {
  if (!Object.keys(values).length) return undefined;
  return `Memory (JSON, keyed by entry):\n${JSON.stringify(redactSealed(values))}`;
}

/**
 * Writes the configured keys from the final answer. Each write carries the step attempt's
 * idempotency key: a handler that runs again (after a crash between this write and the
 * step's commit) finds its own write in place and writes nothing. A value over the
 * memory's limit fails the step with `LLMT_E_MEMORY_ENTRY_TOO_LARGE` naming the field.
 * Returns the keys written and those already in place.
 */
export async function writeAgentMemory(
  ctx: StepContext<LlmAgentConfig>,
  expressions: ExpressionCache,
  output: unknown,
): Promise<{ namespace: string; keys: string[]; kept: string[] } | undefined> {
  const memory = ctx.config.memory;
  if (!memory?.write?.length) return undefined;
  const namespace = memory.namespace ?? ctx.stepId;
  const scope = ctx.memory(namespace);
  const keys: string[] = [];
  const kept: string[] = [];
  for (const [i, entry] of memory.write.entries()) {
    const { key, value, ttl } = writeOf(entry);
    const field = `config.memory.write[${i}]`;
    let data: unknown;
    if (value !== undefined)
      data = await expressions.evaluate(
        value,
        { output, input: agentInput(ctx) },
        {},
        {
          stepId: ctx.stepId,
          field: `${field}.value`,
        },
      );
    else if (output !== null && typeof output === 'object' && !Array.isArray(output))
      data = (output as Record<string, unknown>)[key];
    else
      throw agentError(
        ctx,
        'LLMT_E_AGENT_CONFIG',
        field,
        `the answer is no object, so it has no field "${key}"; give "value" (JSONata over { output, input })`,
      );
    if (data === undefined) continue;
    try {
      const written = await scope.set(key, data, {
        ...(ttl !== undefined ? { ttl } : {}),
        writeKey: `${ctx.idempotencyKey}:${key}`,
      });
      (written ? keys : kept).push(key);
    } catch (error) {
      if (isLlmteamError(error)) throw agentError(ctx, error.code, field, error.message);
      throw error;
    }
  }
  return { namespace, keys, kept };
}
