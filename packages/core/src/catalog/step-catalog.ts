import { LlmteamError } from '../errors.js';
import { createAjv, type ValidateFunction } from '../util/ajv.js';
import { createBuiltinStepTypes } from './builtins/index.js';
import type { StepCategory, StepTypeDefinition, StepTypeInfo } from './types.js';

/**
 * The step types an engine knows: built-ins plus whatever plugins register. Each type's
 * config JSON Schema is compiled once (ajv) and used by segment validation.
 */
export class StepCatalog {
  private types = new Map<string, StepTypeDefinition>();
  private validators = new Map<string, ValidateFunction>();
  private ajv = createAjv();

  /** @param options.builtins register the built-in step types. @default true */
  constructor(options: { builtins?: boolean } = {}) {
    if (options.builtins !== false) for (const t of createBuiltinStepTypes()) this.register(t);
  }

  /**
   * Adds a step type.
   * @throws LlmteamError `LLMT_E_STEP_TYPE_EXISTS` when the name is taken (pass `replace` to override).
   */
  register(definition: StepTypeDefinition, options: { replace?: boolean } = {}): void {
    if (!definition || typeof definition.type !== 'string' || !definition.type) {
      throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'step type: `type` must be a non-empty string');
    }
    if (this.types.has(definition.type) && !options.replace) {
      throw new LlmteamError(
        'LLMT_E_STEP_TYPE_EXISTS',
        `step type "${definition.type}" is already registered; choose another name (e.g. prefix it with your package scope) or pass { replace: true }`,
      );
    }
    let validator: ValidateFunction;
    try {
      validator = this.ajv.compile(definition.configSchema ?? {});
    } catch (cause) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `step type "${definition.type}": configSchema is not a valid JSON Schema: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.types.set(definition.type, definition);
    this.validators.set(definition.type, validator);
  }

  get(type: string): StepTypeDefinition | undefined {
    return this.types.get(type);
  }

  has(type: string): boolean {
    return this.types.has(type);
  }

  /** Every step type, optionally of one category. */
  list(category?: StepCategory): StepTypeDefinition[] {
    return [...this.types.values()].filter((t) => !category || t.category === category);
  }

  /** Serialisable descriptions, as `stepTypes` lists them. */
  info(category?: StepCategory): StepTypeInfo[] {
    return this.list(category).map((t) => ({
      type: t.type,
      displayName: t.displayName,
      category: t.category,
      description: t.description,
      configSchema: t.configSchema,
      inputs: t.inputs,
      outputs: t.outputs,
      dynamicPorts: t.dynamicPorts ?? false,
      permissions: { hosts: t.permissions?.hosts ?? [], secrets: t.permissions?.secrets ?? [] },
    }));
  }

  /** The compiled config validator of a type. */
  configValidator(type: string): ValidateFunction | undefined {
    return this.validators.get(type);
  }
}
