import { context, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { TaskCancelledError, TimeoutStrategy, timeout as timeoutPolicy } from 'cockatiel';
import type { Logger, SecretsProvider } from '../catalog/types.js';
import { silentLogger } from '../catalog/types.js';
import { isLlmteamError, LlmteamError, toErrorInfo } from '../errors.js';
import { CORE_VERSION } from '../plugins/version.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';
import { describeAjvError, toJsonPath } from '../util/ajv.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type ActionEnv, actionTypeContext, endActionSpan } from './action-call-context.js';
import { ActionConfigChecker, type ActionEntry, actionTimeoutOf } from './action-config-check.js';
import { type ActionCoordination, ActionPolicies, memoryCoordination } from './action-policies.js';
import { functionActionType } from './function-action-type.js';
import { createHttpActionType } from './http-action-type.js';
import { OutboundGuard, type OutboundGuardOptions } from './outbound-guard.js';
import type {
  ActionCallContext,
  ActionConfig,
  ActionFunction,
  ActionInfo,
  ActionRecord,
  ActionResponse,
  ActionResult,
  ActionStatus,
  ActionTypeHandler,
} from './types.js';

export { DEFAULT_ACTION_TIMEOUT_MS } from './action-config-check.js';

/** Options of an {@link ActionRegistry}. */
export interface ActionRegistryOptions {
  /** Resolves the secrets actions name. */
  secrets: SecretsProvider;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Where rate limits and breaker state live. @default per process, in memory */
  coordination?: ActionCoordination;
  /** Outbound safety of HTTP actions: internal addresses allowed despite the guard. @default {} */
  outbound?: OutboundGuardOptions;
  /** Tracer of the calls' spans. @default the global provider's (a no-op without an SDK) */
  tracer?: Tracer;
  /** Scrubs resolved secrets from the error text of call results. @default none */
  redactor?: SecretRedactor;
  /**
   * Asked before each call is sent (after its config and input passed their checks, before
   * the action's own rate limit): a rejection refuses the call, which is recorded as failed
   * with that error and never sent. The engine's holds each tenant to its
   * `action_calls_per_minute`. @default every call admitted
   */
  admit?: (call: { tenantId: string; action: string; idempotencyKey: string }) => Promise<void>;
}

/** Thrown by {@link ActionRegistry.execute}: an `LlmteamError` that carries the call's result. */
export type ActionError = LlmteamError & { details: { action: string; result: ActionResult } };

/**
 * The actions of one engine: declared ones (gateway config), function actions (code) and
 * the action types that run them (built-ins, plugins). `execute` is the one way to call an
 * action: limits, breaker, schemas, timeout and the result model are applied here.
 */
export class ActionRegistry {
  private readonly entries = new Map<string, ActionEntry>();
  private readonly types = new Map<string, ActionTypeHandler[]>();
  private readonly checker = new ActionConfigChecker({
    handlerFor: (config) => this.handlerFor(config),
    typeKnown: (config) => this.typeKnown(config),
  });
  private coordination: ActionCoordination;
  readonly clock: Clock;
  private readonly logger: Logger;
  private readonly tracer: Tracer;
  private readonly actionEnv: ActionEnv;
  private readonly redactor?: SecretRedactor;

  constructor(readonly options: ActionRegistryOptions) {
    this.clock = options.clock ?? systemClock;
    this.tracer = options.tracer ?? trace.getTracer('@llmteam/core', CORE_VERSION);
    this.logger = options.logger ?? silentLogger;
    this.redactor = options.redactor;
    this.coordination = options.coordination ?? memoryCoordination;
    this.actionEnv = {
      secrets: options.secrets,
      logger: this.logger,
      clock: this.clock,
      redact: (text) => (this.redactor ? this.redactor.scrub(text) : text),
    };
    this.registerType(functionActionType);
    const guard = new OutboundGuard(options.outbound);
    this.registerType(createHttpActionType('webhook', { guard }));
    this.registerType(createHttpActionType('rest_api', { guard }));
  }

  /** Installs cluster-wide limits (e.g. Redis). Applies to actions not yet called. */
  useCoordination(coordination: ActionCoordination): void {
    this.coordination = coordination;
    for (const entry of this.entries.values()) entry.policies = undefined;
  }

  /** Registers the handler of an action type. @throws LLMT_E_ACTION_EXISTS for a second handler of a type */
  registerType(handler: ActionTypeHandler): void {
    const same = this.types.get(handler.type) ?? [];
    if (same.length && (!handler.accepts || same.some((h) => !h.accepts))) {
      throw new LlmteamError(
        'LLMT_E_ACTION_EXISTS',
        `action type "${handler.type}" is already registered; a second handler of it needs accepts(config) (e.g. by a "broker" key) to share it`,
      );
    }
    this.types.set(handler.type, [...same, handler]);
    for (const entry of this.entries.values()) if (entry.config.type === handler.type) entry.checked = false;
  }

  /** The handler that runs `config`, if one is registered. */
  handlerFor(config: ActionConfig): ActionTypeHandler | undefined {
    return this.types.get(config?.type)?.find((h) => !h.accepts || h.accepts(config));
  }

  private typeKnown(config: ActionConfig): boolean {
    return this.types.has(config?.type);
  }

  /**
   * Declares an action by name. Its config is checked now when its type is known, else
   * when the type is registered or the action is first called.
   * @throws LLMT_E_ACTION_EXISTS, LLMT_E_ACTION_CONFIG
   */
  define(name: string, config: ActionConfig, source = 'config'): void {
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) {
      throw new LlmteamError(
        'LLMT_E_ACTION_CONFIG',
        `action name "${name}" is invalid; use letters, digits, "_", "-" and "." (starting with a letter or "_")`,
        { details: { action: name, field: 'name' } },
      );
    }
    if (this.entries.has(name)) {
      throw new LlmteamError(
        'LLMT_E_ACTION_EXISTS',
        `action "${name}" is already registered (by ${this.entries.get(name)!.source}); pick another name`,
        { details: { action: name } },
      );
    }
    const entry: ActionEntry = { name, config, source };
    this.entries.set(name, entry);
    if (this.typeKnown(config)) {
      try {
        this.checker.check(entry);
      } catch (error) {
        this.entries.delete(name);
        throw error;
      }
    }
  }

  /** Registers a function action: plain code with the same limits, audit and result model. */
  defineFunction(
    name: string,
    fn: ActionFunction,
    config: Partial<ActionConfig> = {},
    source = 'code',
  ): void {
    const declared = this.entries.get(name);
    // A function action may be declared in config (limits, schemas) and its code given here.
    if (declared && declared.config.type === 'function' && !declared.fn) {
      declared.fn = fn;
      declared.config = { ...config, ...declared.config };
      declared.checked = false;
      declared.timeout = undefined;
      return;
    }
    this.define(name, { ...config, type: 'function' }, source);
    this.entries.get(name)!.fn = fn;
  }

  /** True when an action of that name is known. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The config of an action (secrets are names, so it is safe to show). */
  get(name: string): ActionConfig | undefined {
    return this.entries.get(name)?.config;
  }

  /** Every action with its type, limits and live state on this node. */
  list(): ActionInfo[] {
    return [...this.entries.values()].map((entry) => {
      let problems: string[] | undefined;
      try {
        if (this.typeKnown(entry.config)) this.checker.check(entry);
        else problems = [`type "${entry.config.type}" has no handler; install the plugin that provides it`];
      } catch (error) {
        problems = entry.problems ?? [(error as Error).message];
      }
      const config = entry.config;
      return {
        name: entry.name,
        type: config.type,
        ...(config.description ? { description: config.description } : {}),
        source: entry.source,
        timeout_ms: actionTimeoutOf(entry),
        retry_count: config.retry_count ?? 0,
        ...(config.rate_limit ? { rate_limit: config.rate_limit } : {}),
        ...(config.circuit_breaker ? { circuit_breaker: config.circuit_breaker } : {}),
        ...(config.max_concurrency ? { max_concurrency: config.max_concurrency } : {}),
        circuit_state: entry.policies?.circuitState ?? 'closed',
        in_flight: entry.policies?.inFlight ?? 0,
        ...(problems ? { problems } : {}),
      };
    });
  }

  /** Checks every action whose type is registered; throws the first bad config. */
  checkAll(): void {
    for (const entry of this.entries.values()) if (this.typeKnown(entry.config)) this.checker.check(entry);
  }

  /**
   * Calls an action. Resolves with the result of a completed call; rejects with an
   * {@link ActionError} (its `details.result` holds the result) otherwise. `onRecord` gets
   * the result of every call that reached the executor, for audit and events.
   */
  async execute(
    name: string,
    input: unknown,
    call: ActionCallContext,
    onRecord?: (record: ActionRecord) => void,
  ): Promise<ActionResult> {
    const startedMs = this.clock.now();
    const entry = this.entries.get(name);
    const correlationId = call.correlationId ?? call.runId ?? call.idempotencyKey;
    const result: ActionResult = {
      action: name,
      type: entry?.config.type ?? 'unknown',
      status: 'pending',
      started_at: new Date(startedMs).toISOString(),
      duration_ms: 0,
      retry_count: Math.max(0, (call.attempt ?? 1) - 1),
      idempotency_key: call.idempotencyKey,
      correlation_id: correlationId,
    };
    const span = this.tracer.startSpan(
      `action ${name}`,
      {
        kind: SpanKind.CLIENT,
        startTime: startedMs,
        attributes: {
          'llmteam.action.name': name,
          'llmteam.action.type': result.type,
          'llmteam.tenant_id': call.tenantId,
          ...(call.runId ? { 'llmteam.run_id': call.runId } : {}),
          ...(call.stepId ? { 'llmteam.step_id': call.stepId } : {}),
          'llmteam.action.idempotency_key': call.idempotencyKey,
        },
      },
      call.traceContext ?? context.active(),
    );
    const finish = (status: ActionStatus, error?: unknown): ActionResult => {
      const end = this.clock.now();
      result.status = status;
      result.completed_at = new Date(end).toISOString();
      result.duration_ms = Math.max(0, end - startedMs);
      if (error !== undefined) {
        const info = this.redactor ? this.redactor.scrubDeep(toErrorInfo(error)) : toErrorInfo(error);
        result.error_message = info.message;
        result.error_type = info.code;
        const code = isLlmteamError(error) ? error.details?.response_code : undefined;
        if (code !== undefined && result.response_code === undefined)
          result.response_code = code as number | string;
      }
      onRecord?.({ result, actor: call.actor ?? 'system' });
      endActionSpan(span, result, end);
      return result;
    };
    const fail = (status: ActionStatus, error: unknown): never => {
      finish(status, error);
      const retryable = isLlmteamError(error) ? error.retryable : true;
      const base = isLlmteamError(error)
        ? error
        : new LlmteamError(
            'LLMT_E_ACTION_FAILED',
            `action "${name}" failed: ${(error as Error)?.message ?? error}`,
            {
              cause: error,
              retryable,
            },
          );
      throw new LlmteamError(base.code, base.message, {
        cause: base === error ? error : base,
        retryable: base.retryable,
        details: { ...(base.details ?? {}), action: name, result },
      }) as ActionError;
    };

    if (!entry) {
      const known = [...this.entries.keys()];
      return fail(
        'failed',
        new LlmteamError(
          'LLMT_E_ACTION_NOT_FOUND',
          `action "${name}" is not declared; add it to the config's "actions" section or register it (known: ${known.length ? known.join(', ') : 'none'})`,
          { details: { action: name, field: 'action' } },
        ),
      );
    }
    const handler = this.handlerFor(entry.config);
    if (!handler && !this.typeKnown(entry.config)) {
      return fail(
        'failed',
        new LlmteamError(
          'LLMT_E_ACTION_TYPE_UNKNOWN',
          `action "${name}" has type "${entry.config.type}", which no handler runs; install the plugin for it (e.g. @llmteam/action-sql for "database")`,
          { details: { action: name, field: 'type' } },
        ),
      );
    }
    try {
      this.checker.check(entry);
    } catch (error) {
      return fail('failed', error);
    }
    if (!handler)
      return fail(
        'failed',
        new LlmteamError('LLMT_E_ACTION_TYPE_UNKNOWN', `action "${name}": no handler takes it`),
      );
    if (entry.requestSchema && !entry.requestSchema(input)) {
      const problems = (entry.requestSchema.errors ?? []).map(
        (e) => `${toJsonPath('input', e.instancePath)}: ${describeAjvError(e)}`,
      );
      return fail(
        'failed',
        new LlmteamError(
          'LLMT_E_ACTION_REQUEST_INVALID',
          `action "${name}": the input fails request_schema (${problems.join('; ')}); nothing was sent`,
          { details: { action: name, field: 'request_schema', problems } },
        ),
      );
    }
    if (this.options.admit) {
      try {
        await this.options.admit({
          tenantId: call.tenantId,
          action: name,
          idempotencyKey: call.idempotencyKey,
        });
      } catch (error) {
        return fail('failed', error);
      }
    }
    entry.policies ??= new ActionPolicies(name, entry.config, this.coordination);
    const policies = entry.policies;
    const outer = call.signal;
    const timeoutMs = actionTimeoutOf(entry);
    // Not aborted on return: aborting a finished call's signal costs more than the call.
    entry.timeout ??= timeoutPolicy(timeoutMs, {
      strategy: TimeoutStrategy.Aggressive,
      abortOnReturn: false,
    });
    const timeout = entry.timeout;
    let response: ActionResponse;
    try {
      await policies.acquire(call.tenantId, outer);
      result.status = 'running';
      policies.inFlight++;
      try {
        response = await policies.run(
          (signal) =>
            timeout.execute(
              ({ signal: inner }) =>
                handler.execute(
                  input,
                  actionTypeContext(this.actionEnv, entry, call, correlationId, inner, span),
                ),
              signal,
            ),
          outer,
        );
      } finally {
        policies.inFlight--;
      }
    } catch (error) {
      if (outer?.aborted) return fail('cancelled', isLlmteamError(outer.reason) ? outer.reason : error);
      if (error instanceof TaskCancelledError) {
        return fail(
          'timeout',
          new LlmteamError(
            'LLMT_E_ACTION_TIMEOUT',
            `action "${name}" did not answer within its timeout (${timeoutMs} ms); raise actions.${name}.timeout or make the far side faster`,
            { retryable: true, details: { action: name, field: 'timeout' } },
          ),
        );
      }
      return fail('failed', error);
    }
    result.data = response.data;
    if (response.code !== undefined) result.response_code = response.code;
    if (entry.responseSchema && !entry.responseSchema(response.data)) {
      const problems = (entry.responseSchema.errors ?? []).map(
        (e) => `${toJsonPath('response', e.instancePath)}: ${describeAjvError(e)}`,
      );
      return fail(
        'failed',
        new LlmteamError(
          'LLMT_E_ACTION_RESPONSE_INVALID',
          `action "${name}": the response fails response_schema (${problems.join('; ')}); fix the far side or the schema`,
          { details: { action: name, field: 'response_schema', problems } },
        ),
      );
    }
    return finish('completed');
  }

  /** Closes every action type's connections. */
  async close(): Promise<void> {
    for (const handlers of this.types.values()) for (const handler of handlers) await handler.close?.();
    await this.coordination.close?.();
  }
}
