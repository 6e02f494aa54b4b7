import { agentMemoryConfigSchema, type LlmAgentMemoryConfig } from './agent-memory-wiring.js';
import { type LlmAgentToolApproval, toolApprovalSchema } from './tool-approvals.js';

/** One tool of an `llm_agent` step: a named action the model may call. */
export interface LlmAgentTool extends LlmAgentToolApproval {
  /**
   * The action's name (gateway config, plugin or code); the model calls it by this name.
   * Left out when the entry is a tool of another kind (e.g. `segment_id`: a child segment).
   */
  action?: string;
  /** The name the model calls the tool by. @default the action's name (or the kind's default) */
  name?: string;
  /** What the tool does, for the model. @default "Calls the action <name>." */
  description?: string;
  /** JSON Schema of the arguments object (edits of an approval must fit it too). @default { "type": "object" } */
  parameters?: Record<string, unknown>;
}

/** The config of an `llm_agent` step (snake_case, as in segment JSON). */
export interface LlmAgentConfig {
  /** A registered provider's name, e.g. `openai`. */
  provider: string;
  model?: string;
  system_prompt?: string;
  /** JSONata over the inputs producing the user message. @default the input as JSON */
  prompt?: string;
  temperature?: number;
  max_tokens?: number;
  /** Model calls the step may make. @default 10 */
  max_turns?: number;
  /** JSON Schema the final answer must fit; the answer is then parsed. */
  output_schema?: Record<string, unknown>;
  /** Tokens (input + output) the step's calls may use in all. */
  token_budget?: number;
  tools?: LlmAgentTool[];
  /**
   * Size limit of the conversation (UTF-8 bytes of its messages as JSON), checked before each
   * model call and each commit: past it the step fails with `LLMT_E_AGENT_CONVERSATION_TOO_LARGE`.
   * @default 1000000
   */
  max_conversation_bytes?: number;
  /**
   * Stream the model's answer: partial text reaches subscribers as live `step.progress`
   * events (only the final message is stored).
   * @default true
   */
  stream?: boolean;
  /**
   * Agent memory the step reads into its context before the first model call and writes
   * from its final answer (once per attempt), in the run's tenant.
   * @default none
   */
  memory?: LlmAgentMemoryConfig;
}

/** Defaults of {@link LlmAgentConfig}. */
export const LLM_AGENT_DEFAULTS = {
  max_turns: 10,
  repair_turns: 1,
  max_conversation_bytes: 1_000_000,
} as const;

/** JSON Schema of {@link LlmAgentConfig}. */
export const llmAgentConfigSchema = {
  type: 'object',
  required: ['provider'],
  properties: {
    provider: { type: 'string', minLength: 1, description: 'Name of a registered LLM provider.' },
    model: { type: 'string' },
    system_prompt: { type: 'string' },
    prompt: {
      type: 'string',
      description: 'JSONata expression producing the user message (default: the input as JSON).',
    },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
    max_tokens: { type: 'integer', minimum: 1 },
    max_turns: { type: 'integer', minimum: 1 },
    output_schema: { type: 'object' },
    token_budget: { type: 'integer', minimum: 1 },
    max_conversation_bytes: { type: 'integer', minimum: 1 },
    stream: { type: 'boolean' },
    memory: agentMemoryConfigSchema,
    tools: {
      type: 'array',
      items: {
        type: 'object',
        required: ['action'],
        properties: {
          action: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          parameters: { type: 'object' },
          ...toolApprovalSchema,
        },
      },
    },
  },
};
