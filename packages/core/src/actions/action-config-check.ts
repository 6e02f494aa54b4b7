import type { TimeoutPolicy } from 'cockatiel';
import { LlmteamError } from '../errors.js';
import { createAjv, describeAjvError, toJsonPath, type ValidateFunction } from '../util/ajv.js';
import { parseDuration } from '../util/duration.js';
import { actionConfigSchema } from './action-config-schema.js';
import type { ActionPolicies } from './action-policies.js';
import type { ActionConfig, ActionFunction, ActionTypeHandler } from './types.js';

/** Default per-call timeout, in ms. */
export const DEFAULT_ACTION_TIMEOUT_MS = 30_000;

/** One action of a registry: its config, its policies and what checking it found. */
export interface ActionEntry {
  name: string;
  config: ActionConfig;
  source: string;
  fn?: ActionFunction;
  policies?: ActionPolicies;
  timeout?: TimeoutPolicy;
  requestSchema?: ValidateFunction;
  responseSchema?: ValidateFunction;
  checked?: boolean;
  problems?: string[];
}

/** An action's per-call timeout in ms: its `timeout`, or the default when it has none (or a bad one). */
export function actionTimeoutOf(entry: ActionEntry): number {
  try {
    return entry.config.timeout === undefined
      ? DEFAULT_ACTION_TIMEOUT_MS
      : parseDuration(entry.config.timeout, `actions.${entry.name}.timeout`);
  } catch {
    return DEFAULT_ACTION_TIMEOUT_MS;
  }
}

/** How the checker finds an action type's handler (the registry's lookups). */
export interface ActionTypeLookup {
  handlerFor(config: ActionConfig): ActionTypeHandler | undefined;
  typeKnown(config: ActionConfig): boolean;
}

/**
 * Checks action configs against the base schema, their type's schema and `validate` hook,
 * once per config; a bad one fails with `LLMT_E_ACTION_CONFIG` listing every problem.
 */
export class ActionConfigChecker {
  // Made on first use: an engine that declares no action pays nothing for schema checks.
  private ajvInstance?: ReturnType<typeof createAjv>;
  private baseCheckFn?: ValidateFunction;
  private readonly typeChecks = new Map<ActionTypeHandler, ValidateFunction>();

  constructor(private readonly lookup: ActionTypeLookup) {}

  private get ajv(): ReturnType<typeof createAjv> {
    this.ajvInstance ??= createAjv();
    return this.ajvInstance;
  }

  private get baseCheck(): ValidateFunction {
    this.baseCheckFn ??= this.ajv.compile(actionConfigSchema);
    return this.baseCheckFn;
  }

  /** Checks `entry` unless it was checked already; compiles its request and response schemas. */
  check(entry: ActionEntry): void {
    if (entry.checked) return;
    const problems: Array<[string, string]> = [];
    const collect = (validate: ValidateFunction) => {
      if (validate(entry.config)) return;
      for (const e of validate.errors ?? [])
        problems.push([toJsonPath(`actions.${entry.name}`, e.instancePath), describeAjvError(e)]);
    };
    collect(this.baseCheck);
    const handler = this.lookup.handlerFor(entry.config);
    if (!handler && this.lookup.typeKnown(entry.config)) {
      problems.push([
        `actions.${entry.name}`,
        `no handler of type "${entry.config.type}" takes this config (check its "broker" key, or install the plugin for it)`,
      ]);
    }
    if (handler?.configSchema) {
      let check = this.typeChecks.get(handler);
      if (!check) {
        check = this.ajv.compile(handler.configSchema);
        this.typeChecks.set(handler, check);
      }
      collect(check);
    }
    for (const [field, message] of handler?.validate?.(entry.config) ?? [])
      problems.push([`actions.${entry.name}.${field}`, message]);
    try {
      if (entry.config.timeout !== undefined)
        parseDuration(entry.config.timeout, `actions.${entry.name}.timeout`);
      if (entry.config.request_schema) entry.requestSchema = this.ajv.compile(entry.config.request_schema);
      if (entry.config.response_schema) entry.responseSchema = this.ajv.compile(entry.config.response_schema);
    } catch (error) {
      problems.push([`actions.${entry.name}`, (error as Error).message]);
    }
    if (problems.length) {
      entry.problems = problems.map(([path, message]) => `${path}: ${message}`);
      const [first] = problems;
      throw new LlmteamError(
        'LLMT_E_ACTION_CONFIG',
        `action "${entry.name}" has an invalid config: ${entry.problems.join('; ')}`,
        { details: { action: entry.name, field: first![0], problems: entry.problems } },
      );
    }
    entry.problems = undefined;
    entry.checked = true;
  }
}
