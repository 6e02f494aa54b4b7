import type { StepCatalog } from '../catalog/step-catalog.js';
import { describeAjvError, toJsonPath } from '../util/ajv.js';
import { durationProblem, durationSeconds, MAX_DURATION_SECONDS } from '../util/duration.js';
import { DATA_TYPES, isDataType } from './data-types.js';
import type { StepDefinition } from './types.js';

/** Adds one problem: where, its code, and a message that says how to fix it. */
export type AddProblem = (path: string, code: string, message: string) => void;

/**
 * Checks each step on its own: unique id, known type, config against the type's schema,
 * ports the type has, port data types, duration bounds, the type's own `validate`.
 * Returns the index of each step id's first step.
 */
export function checkSteps(
  steps: StepDefinition[],
  catalog: StepCatalog,
  add: AddProblem,
): Map<string, number> {
  const ids = new Map<string, number>();
  steps.forEach((step, i) => {
    const path = `$.steps[${i}]`;
    const first = ids.get(step.step_id);
    if (first !== undefined) {
      add(
        `${path}.step_id`,
        'duplicate_step_id',
        `step id "${step.step_id}" is already used by $.steps[${first}]; give each step a unique id`,
      );
    } else ids.set(step.step_id, i);
    checkDurations(step, path, add);
    checkDataTypes(step, path, add);
    const type = catalog.get(step.step_type);
    if (!type) {
      add(
        `${path}.step_type`,
        'unknown_step_type',
        `unknown step type "${step.step_type}"; use one of ${catalog
          .list()
          .map((t) => t.type)
          .join(', ')} or install the plugin that provides it`,
      );
      return;
    }
    const validateConfig = catalog.configValidator(step.step_type);
    if (validateConfig && !validateConfig(step.config ?? {})) {
      for (const error of validateConfig.errors ?? []) {
        add(
          toJsonPath(`${path}.config`, error.instancePath),
          'invalid_config',
          `${describeAjvError(error)} (step type "${step.step_type}")`,
        );
      }
    }
    if (!type.dynamicPorts) {
      const known = new Set(type.outputs.map((p) => p.port_id));
      step.outputs?.forEach((p, j) => {
        if (!known.has(p.port_id) && !(p.port_id === 'error' && step.on_error === 'route')) {
          add(
            `${path}.outputs[${j}].port_id`,
            'unknown_port',
            `step type "${step.step_type}" has no output port "${p.port_id}"; its ports are ${[...known].join(', ')}`,
          );
        }
      });
    }
    for (const [rel, message, code] of type.validate?.(step) ?? [])
      add(`${path}${rel}`, code ?? 'invalid_step', message);
  });
  return ids;
}

/** The segment schema checks the form of a step's durations; their length is bounded here. */
function checkDurations(step: StepDefinition, path: string, add: AddProblem): void {
  const fields: Array<[string, unknown]> = [
    ['timeout', step.timeout],
    ['retry.backoff', step.retry?.backoff],
    ['retry.max_backoff', step.retry?.max_backoff],
  ];
  for (const [field, value] of fields) {
    const seconds = durationSeconds(value);
    if (seconds !== undefined && seconds > MAX_DURATION_SECONDS)
      add(`${path}.${field}`, 'duration_too_long', durationProblem(value)!);
  }
}

function checkDataTypes(step: StepDefinition, path: string, add: AddProblem): void {
  for (const side of ['inputs', 'outputs'] as const) {
    step[side]?.forEach((port, j) => {
      if (port?.data_type !== undefined && !isDataType(port.data_type)) {
        add(
          `${path}.${side}[${j}].data_type`,
          'unknown_data_type',
          `unknown data_type ${JSON.stringify(port.data_type)}; use one of ${DATA_TYPES.join(', ')} (or leave it out to accept anything)`,
        );
      }
    });
  }
}
