import type { StepCatalog } from '../catalog/step-catalog.js';
import type { PortDefinition, StepDefinition } from './types.js';

/** The ports of one step as validation and the engine see them. */
export interface StepPorts {
  inputs: Set<string>;
  outputs: Set<string>;
  /** Ports of the step type's (or the step's) outputs that its config never writes, with why. */
  unwritten?: { ports: Set<string>; hint?: string };
}

/**
 * Effective ports of a step: what it declares, else its type's defaults (plus `error` when
 * routed), narrowed to what its config can write (`StepTypeDefinition.outputsFor`).
 */
export function stepPorts(step: StepDefinition, catalog: StepCatalog): StepPorts {
  const type = catalog.get(step.step_type);
  const inputs = new Set((step.inputs ?? type?.inputs ?? []).map((p) => p.port_id));
  const outputs = new Set((step.outputs ?? type?.outputs ?? []).map((p) => p.port_id));
  if (!type?.dynamicPorts && type) {
    // Declared ports of fixed-port types may narrow the defaults, never invent new ones.
    for (const p of type.outputs) if (!step.outputs) outputs.add(p.port_id);
  }
  let unwritten: StepPorts['unwritten'];
  const writable = type?.outputsFor?.(step);
  if (writable) {
    const can = new Set(writable.ports);
    for (const port of outputs) {
      if (can.has(port)) continue;
      outputs.delete(port);
      unwritten ??= { ports: new Set(), hint: writable.hint };
      unwritten.ports.add(port);
    }
  }
  if (step.on_error === 'route') outputs.add('error');
  return { inputs, outputs, unwritten };
}

/** The `data_type` of a step's port: the step's own declaration, else its type's default. */
export function portDataType(
  step: StepDefinition,
  catalog: StepCatalog,
  side: 'inputs' | 'outputs',
  port: string,
): string | undefined {
  const own = step[side]?.find((p) => p.port_id === port)?.data_type;
  if (own !== undefined) return own;
  return catalog.get(step.step_type)?.[side].find((p) => p.port_id === port)?.data_type;
}

/**
 * The input ports a step's handler is given: the step's own `inputs`, else its type's
 * declared ports (validation checks edges against the same list).
 */
export function declaredInputs(
  step: StepDefinition,
  type: { inputs: readonly PortDefinition[] } | undefined,
): readonly PortDefinition[] | undefined {
  return step.inputs ?? type?.inputs;
}

/**
 * What a handler sees as `ctx.input`: with one declared input port (or none) that port's
 * value; with several, the object of every port's value keyed by port id.
 */
export function handlerInput(
  declared: readonly PortDefinition[] | undefined,
  inputs: Record<string, unknown>,
): unknown {
  return declared && declared.length > 1 ? inputs : inputs[declared?.[0]?.port_id ?? 'input'];
}
