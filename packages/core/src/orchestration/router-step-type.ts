import type { ExpressionCache } from '../catalog/builtins/expression.js';
import type { StepContext, StepTypeDefinition } from '../catalog/types.js';
import { defineStepType } from '../catalog/types.js';
import { isLlmteamError, StepError } from '../errors.js';
import { checkTokenLimit } from '../llm/agent-error.js';
import type { LlmMessage, LlmResponse } from '../llm/types.js';
import type { StepDefinition } from '../segment/types.js';

/** One route of a `router` step: a declared output port, and when to take it. */
export interface RouterRoute {
  /** The output port this route writes the input to; the step must declare it in `outputs`. */
  port: string;
  /** Rules mode: a JSONata predicate over the input; the first truthy route wins. */
  when?: string;
  /** What the route is for; the model reads it in `llm` mode. */
  description?: string;
}

/** The config of a `router` step (snake_case, as in segment JSON). */
export interface RouterConfig {
  /**
   * `rules`: the routes' `when` predicates, in order; `llm`: a model picks one route.
   * @default "llm" when `provider` is set, else "rules"
   */
  mode?: 'rules' | 'llm';
  routes: RouterRoute[];
  /** The port taken when no rule matches (or the model answers no declared route). */
  default?: string;
  /** `llm` mode: a registered provider's name, e.g. `openai`. */
  provider?: string;
  model?: string;
  /** `llm` mode: extra instructions before the list of routes. */
  system_prompt?: string;
  /** `llm` mode: JSONata over the input producing the user message. @default the input as JSON */
  prompt?: string;
  /** @default 0 */
  temperature?: number;
}

/** What a `router` step decided, as its `router.decided` event carries it. */
export interface RouterDecision {
  /** The port taken. */
  route: string;
  /** Why: the matching rule, the default, or the model's own reason. */
  reason: string;
  mode: 'rules' | 'llm';
  /** Rules mode: index of the matching route (absent when the default was taken). */
  rule?: number;
  /** True when no rule matched or the model named no declared route. */
  defaulted?: boolean;
}

/** What the router checkpoints after its model call, so a crash never pays for it twice. */
interface RouterCheckpoint {
  decision: RouterDecision;
}

const configSchema = {
  type: 'object',
  required: ['routes'],
  properties: {
    mode: { enum: ['rules', 'llm'] },
    routes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['port'],
        properties: {
          port: { type: 'string', minLength: 1 },
          when: { type: 'string', minLength: 1, description: 'JSONata predicate over the input.' },
          description: { type: 'string' },
        },
      },
    },
    default: { type: 'string', minLength: 1 },
    provider: { type: 'string', minLength: 1 },
    model: { type: 'string' },
    system_prompt: { type: 'string' },
    prompt: { type: 'string' },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
  },
};

function modeOf(config: Partial<RouterConfig>): 'rules' | 'llm' {
  return config.mode ?? (config.provider ? 'llm' : 'rules');
}

function declaredPorts(step: StepDefinition): string[] {
  return (step.outputs ?? []).map((p) => p.port_id);
}

function routerError(
  ctx: StepContext<RouterConfig>,
  code: string,
  field: string,
  message: string,
  retryable = false,
) {
  const text = `router step "${ctx.stepId}", ${field}: ${message}`;
  return retryable
    ? new StepError(text, { code, details: { step: ctx.stepId, field } })
    : StepError.nonRetryable(text, { code, details: { step: ctx.stepId, field } });
}

/** Checks a router step: every route and the default name a declared output port. */
function validateRouter(
  step: StepDefinition,
  expressions: ExpressionCache,
): Array<[string, string, string?]> {
  const problems: Array<[string, string, string?]> = [];
  const config = (step.config ?? {}) as Partial<RouterConfig>;
  const ports = declaredPorts(step);
  const known = ports.length ? ports.join(', ') : 'none';
  if (!step.outputs?.length)
    problems.push([
      '.outputs',
      `a router writes to the output ports it declares; declare one per route (e.g. [{ "port_id": "${config.routes?.[0]?.port ?? 'approve'}" }])`,
      'unknown_route',
    ]);
  const mode = modeOf(config);
  const seen = new Set<string>();
  (config.routes ?? []).forEach((route, i) => {
    if (!route || typeof route.port !== 'string') return;
    if (step.outputs?.length && !ports.includes(route.port))
      problems.push([
        `.config.routes[${i}].port`,
        `route "${route.port}" names no declared output port of step "${step.step_id}" (declared: ${known}); declare it in outputs or fix the name`,
        'unknown_route',
      ]);
    if (seen.has(route.port))
      problems.push([
        `.config.routes[${i}].port`,
        `route "${route.port}" is listed twice; list each port once`,
      ]);
    seen.add(route.port);
    const syntax = expressions.syntaxError(route.when);
    if (syntax) problems.push([`.config.routes[${i}].when`, `JSONata syntax error: ${syntax}`]);
    if (mode === 'rules' && route.when === undefined && i < (config.routes?.length ?? 0) - 1)
      problems.push([
        `.config.routes[${i}].when`,
        `rules mode: route "${route.port}" has no "when" predicate, so the routes after it can never be taken; add a predicate or make it the default`,
      ]);
  });
  if (config.default !== undefined && step.outputs?.length && !ports.includes(config.default))
    problems.push([
      '.config.default',
      `default route "${config.default}" names no declared output port of step "${step.step_id}" (declared: ${known})`,
      'unknown_route',
    ]);
  if (mode === 'llm' && !config.provider)
    problems.push(['.config.provider', 'llm mode needs the name of a registered LLM provider']);
  const syntax = expressions.syntaxError(config.prompt);
  if (syntax) problems.push(['.config.prompt', `JSONata syntax error: ${syntax}`]);
  return problems;
}

/**
 * The `router` step type: writes its input, unchanged, to exactly one of its declared output
 * ports; the routes not taken are skipped downstream. In `rules` mode the first route whose
 * JSONata `when` holds wins (else `default`); in `llm` mode a registered provider picks one
 * route with a constrained (JSON Schema enum) answer and gives its reason. The decision is
 * appended as a `router.decided` event in the step's completion commit; in `llm` mode it is
 * committed right after the model call, so a crash never repeats a finished call.
 */
export function createRouterStepType(expressions: ExpressionCache): StepTypeDefinition<RouterConfig> {
  async function byRules(ctx: StepContext<RouterConfig>): Promise<RouterDecision> {
    const routes = ctx.config.routes;
    for (const [i, route] of routes.entries()) {
      if (route.when === undefined) {
        return {
          route: route.port,
          reason: `route ${i} ("${route.port}") has no predicate`,
          mode: 'rules',
          rule: i,
        };
      }
      let hit: unknown;
      try {
        hit = await expressions.evaluate(route.when, ctx.input);
      } catch (error) {
        throw routerError(ctx, 'LLMT_E_EXPRESSION', `config.routes[${i}].when`, (error as Error).message);
      }
      if (hit) return { route: route.port, reason: `matched ${route.when}`, mode: 'rules', rule: i };
    }
    if (ctx.config.default === undefined)
      throw routerError(
        ctx,
        'LLMT_E_ROUTER_NO_ROUTE',
        'config.default',
        `no route matched the input and the step sets no default; add a default route or a predicate that matches`,
      );
    return { route: ctx.config.default, reason: 'no rule matched', mode: 'rules', defaulted: true };
  }

  async function byModel(ctx: StepContext<RouterConfig>): Promise<RouterDecision> {
    const saved = ctx.checkpointed as RouterCheckpoint | undefined;
    if (saved?.decision) return saved.decision;
    const config = ctx.config;
    const provider = ctx.resources.llms[config.provider ?? ''];
    if (!provider)
      throw routerError(
        ctx,
        'LLMT_E_AGENT_CONFIG',
        'config.provider',
        `no LLM provider "${config.provider}" is registered (registered: ${Object.keys(ctx.resources.llms).join(', ') || 'none'}); install and configure its plugin`,
      );
    const ports = config.routes.map((r) => r.port);
    let prompt: unknown = ctx.input;
    if (config.prompt) {
      try {
        prompt = await expressions.evaluate(config.prompt, ctx.input);
      } catch (error) {
        throw routerError(ctx, 'LLMT_E_EXPRESSION', 'config.prompt', (error as Error).message);
      }
    }
    const list = config.routes
      .map((r) => `- ${r.port}${r.description ? `: ${r.description}` : ''}`)
      .join('\n');
    const messages: LlmMessage[] = [
      {
        role: 'system',
        content: `${config.system_prompt ? `${config.system_prompt}\n\n` : ''}Choose exactly one route for the input. Routes:\n${list}\nAnswer with JSON {"route": <one of ${ports.map((p) => JSON.stringify(p)).join(', ')}>, "reason": <one sentence>}.`,
      },
      { role: 'user', content: typeof prompt === 'string' ? prompt : JSON.stringify(prompt ?? null) },
    ];
    await checkTokenLimit(ctx);
    const started = ctx.clock.now();
    let response: LlmResponse;
    try {
      response = await provider.chat({
        model: config.model ?? '',
        messages,
        temperature: config.temperature ?? 0,
        outputSchema: {
          name: 'route',
          strict: true,
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['route', 'reason'],
            properties: { route: { type: 'string', enum: ports }, reason: { type: 'string' } },
          },
        },
        signal: ctx.signal,
        tenantId: ctx.tenantId,
        idempotencyKey: `${ctx.idempotencyKey}:route`,
      });
    } catch (error) {
      if (isLlmteamError(error)) throw error;
      throw routerError(ctx, 'LLMT_E_LLM_BAD_RESPONSE', 'config.provider', (error as Error).message, true);
    }
    let answer: { route?: unknown; reason?: unknown } = {};
    try {
      answer = JSON.parse(response.content) as typeof answer;
    } catch {
      answer = {};
    }
    let decision: RouterDecision;
    if (typeof answer.route === 'string' && ports.includes(answer.route)) {
      decision = {
        route: answer.route,
        reason: typeof answer.reason === 'string' ? answer.reason : '',
        mode: 'llm',
      };
    } else if (config.default !== undefined) {
      decision = {
        route: config.default,
        reason: `the model named no declared route (${response.content.slice(0, 200)})`,
        mode: 'llm',
        defaulted: true,
      };
    } else {
      throw routerError(
        ctx,
        'LLMT_E_ROUTER_NO_ROUTE',
        'config.routes',
        `the model answered ${JSON.stringify(response.content.slice(0, 200))}, which names none of ${ports.join(', ')}, and the step sets no default; add a default route`,
      );
    }
    await ctx.checkpoint({ decision } satisfies RouterCheckpoint, {
      events: [
        {
          type: 'model.call.completed',
          data: {
            turn: 1,
            provider: config.provider ?? '',
            model: response.model ?? config.model,
            finish_reason: response.finishReason,
            usage: {
              input_tokens: response.usage.inputTokens,
              output_tokens: response.usage.outputTokens,
              cached_input_tokens: response.usage.cachedInputTokens ?? 0,
            },
            tool_calls: [],
            duration_ms: ctx.clock.now() - started,
          },
        },
      ],
    });
    return decision;
  }

  return defineStepType<RouterConfig>({
    type: 'router',
    displayName: 'Router',
    category: 'CONTROL',
    description:
      'Routes its input to one declared output port: by JSONata rules in order (with a default), or by an LLM choosing among the routes.',
    configSchema,
    inputs: [{ port_id: 'input' }],
    outputs: [],
    dynamicPorts: true,
    validate: (step) => validateRouter(step, expressions),
    async handler(ctx) {
      const decision = modeOf(ctx.config) === 'llm' ? await byModel(ctx) : await byRules(ctx);
      ctx.emit('router.decided', { ...decision, routes: ctx.config.routes.map((r) => r.port) });
      return { [decision.route]: ctx.input };
    },
  });
}
