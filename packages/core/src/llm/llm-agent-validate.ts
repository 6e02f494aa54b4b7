import type { ExpressionCache } from '../catalog/builtins/expression.js';
import type { StepDefinition } from '../segment/types.js';
import type { createAjv } from '../util/ajv.js';
import { agentMemoryProblems } from './agent-memory-wiring.js';
import { type AgentToolKind, resolveTools, toolKindProblems } from './agent-tool-kinds.js';
import type { LlmAgentConfig } from './llm-agent-config.js';

/**
 * The semantic checks of an `llm_agent` step (its type's `validate` hook): prompt and
 * approval policies parse, schemas compile, every tool selects a kind and is listed once,
 * and the memory config is consistent.
 */
export function llmAgentProblems(
  step: StepDefinition,
  expressions: ExpressionCache,
  ajv: ReturnType<typeof createAjv>,
  kinds: readonly AgentToolKind[],
): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const config = (step.config ?? {}) as Partial<LlmAgentConfig>;
  const syntax = expressions.syntaxError(config.prompt);
  if (syntax) problems.push(['.config.prompt', `JSONata syntax error: ${syntax}`]);
  for (const [path, schema] of [
    ['.config.output_schema', config.output_schema],
    ...(config.tools ?? []).map((tool, i) => [`.config.tools[${i}].parameters`, tool.parameters] as const),
  ] as const) {
    if (!schema || typeof schema !== 'object') continue;
    try {
      ajv.compile(schema as Record<string, unknown>);
    } catch (error) {
      problems.push([path, `JSON Schema does not compile: ${(error as Error).message}`]);
    }
  }
  (config.tools ?? []).forEach((tool, i) => {
    const policies: Array<[string, unknown]> = [
      [`.config.tools[${i}].requires_approval`, tool.requires_approval],
      ...Object.entries(tool.requires_approval_by_tenant ?? {}).map(
        ([tenant, policy]) =>
          [`.config.tools[${i}].requires_approval_by_tenant.${tenant}`, policy] as [string, unknown],
      ),
    ];
    for (const [path, policy] of policies) {
      const error = expressions.syntaxError(policy);
      if (error) problems.push([path, `JSONata syntax error: ${error}`]);
    }
  });
  problems.push(...toolKindProblems(config.tools, kinds));
  const names = new Set<string>();
  resolveTools(config.tools, kinds).forEach((tool, i) => {
    if (names.has(tool.action))
      problems.push([
        `.config.tools[${i}].${tool.kind ? 'name' : 'action'}`,
        `tool "${tool.action}" is listed twice`,
      ]);
    names.add(tool.action);
  });
  problems.push(...agentMemoryProblems(config, expressions));
  return problems;
}
