import type { ErrorObject, ValidateFunction } from 'ajv';
import * as AjvNs from 'ajv';
import * as formatsNs from 'ajv-formats';
import { durationProblem, durationSeconds, MAX_DURATION_SECONDS } from './duration.js';

// ajv and ajv-formats are CommonJS; under NodeNext their default export may sit one level down.
type AjvClass = typeof AjvNs.Ajv;
const Ajv: AjvClass = ((AjvNs as any).default?.default ??
  (AjvNs as any).default ??
  (AjvNs as any).Ajv) as AjvClass;
const addFormats = ((formatsNs as any).default?.default ?? (formatsNs as any).default) as (
  ajv: InstanceType<AjvClass>,
) => void;

export type { ErrorObject, ValidateFunction };

/** A fresh ajv instance: all errors, formats, no strict-mode noise from third-party schemas. */
export function createAjv(): InstanceType<AjvClass> {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
  addFormats(ajv);
  // `durationJsonSchema` bounds a duration's length, which JSON Schema cannot say of a string.
  const bounded = (enabled: boolean, data: unknown): boolean => {
    // A value that is no duration at all is reported by the schema's `oneOf`.
    const seconds = enabled ? durationSeconds(data) : undefined;
    if (seconds === undefined || seconds <= MAX_DURATION_SECONDS) return true;
    bounded.errors = [{ keyword: 'llmteamDuration', message: durationProblem(data), params: {} }];
    return false;
  };
  bounded.errors = [] as Array<Partial<ErrorObject>>;
  ajv.addKeyword({ keyword: 'llmteamDuration', schemaType: 'boolean', errors: true, validate: bounded });
  return ajv;
}
/** Converts an ajv instance path (`/steps/2/config`) to a JSON path under `base` (`$.steps[2].config`). */
export function toJsonPath(base: string, instancePath: string): string {
  if (!instancePath) return base;
  return (
    base +
    instancePath
      .split('/')
      .slice(1)
      .map((seg) => {
        const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
        return /^\d+$/.test(key)
          ? `[${key}]`
          : /^[A-Za-z_$][\w$]*$/.test(key)
            ? `.${key}`
            : `[${JSON.stringify(key)}]`;
      })
      .join('')
  );
}

/** One readable sentence for an ajv error. */
export function describeAjvError(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `missing required property "${p.missingProperty}"; add it`;
    case 'additionalProperties':
      return `unknown property "${p.additionalProperty}"; remove it or check its spelling`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `must be ${p.type}`;
    case 'oneOf':
    case 'anyOf':
      return 'does not match any allowed form (see the schema)';
    default:
      return error.message ?? 'is invalid';
  }
}
