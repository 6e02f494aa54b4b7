import { readFileSync } from 'node:fs';
import type { StepCatalog } from '../catalog/step-catalog.js';
import type { SegmentProblem } from '../errors.js';
import { createAjv, describeAjvError, toJsonPath, type ValidateFunction } from '../util/ajv.js';
import { type BackEdgePortsOf, backEdgePort, buildGraph, findCycle, resolveEdge } from './graph.js';
import type { SegmentDefinition, StepDefinition } from './types.js';

/** The segment contract as a JSON Schema (draft-07); also shipped as `@llmteam/core/segment.schema.json`. */
export const segmentJsonSchema: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../schema/segment.schema.json', import.meta.url), 'utf8'),
);

/** Outcome of {@link validateSegment}: every problem at once. */
export interface ValidationResult {
  valid: boolean;
  problems: SegmentProblem[];
  /** The segment, typed, when valid. */
  segment?: SegmentDefinition;
}

let contractValidator: ValidateFunction | undefined;
function contract(): ValidateFunction {
  // Compiled once and never changed afterwards: a cache, not state.
  contractValidator ??= createAjv().compile(segmentJsonSchema);
  return contractValidator;
}

/** Effective ports of a step: what it declares, else its type's defaults (plus `error` when routed). */
export function stepPorts(
  step: StepDefinition,
  catalog: StepCatalog,
): { inputs: Set<string>; outputs: Set<string> } {
  const type = catalog.get(step.step_type);
  const inputs = new Set((step.inputs ?? type?.inputs ?? []).map((p) => p.port_id));
  const outputs = new Set((step.outputs ?? type?.outputs ?? []).map((p) => p.port_id));
  if (step.on_error === 'route') outputs.add('error');
  if (!type?.dynamicPorts && type) {
    // Declared ports of fixed-port types may narrow the defaults, never invent new ones.
    for (const p of type.outputs) if (!step.outputs) outputs.add(p.port_id);
  }
  return { inputs, outputs };
}

/**
 * Validates a segment against the contract and the catalog, returning every problem at
 * once, each with a JSON path and a message that says how to fix it.
 */
export function validateSegment(input: unknown, catalog: StepCatalog): ValidationResult {
  const backEdges: BackEdgePortsOf = (step) => catalog.get(step.step_type)?.backEdges;
  const problems: SegmentProblem[] = [];
  const add = (path: string, code: string, message: string) => problems.push({ path, code, message });
  const check = contract();
  if (!check(input)) {
    for (const error of check.errors ?? []) {
      if (error.keyword === 'if') continue;
      add(toJsonPath('$', error.instancePath), 'schema', describeAjvError(error));
    }
    // Deeper checks need a well-formed skeleton; report what we have when it is broken.
    if (typeof input !== 'object' || input === null || !Array.isArray((input as SegmentDefinition).steps)) {
      return { valid: false, problems };
    }
  }
  const segment = input as SegmentDefinition;
  const steps = segment.steps.filter((s) => s && typeof s === 'object' && typeof s.step_id === 'string');
  const ids = new Map<string, number>();
  steps.forEach((step, i) => {
    const path = `$.steps[${i}]`;
    if (ids.has(step.step_id)) {
      add(
        `${path}.step_id`,
        'duplicate_step_id',
        `step id "${step.step_id}" is already used by $.steps[${ids.get(step.step_id)}]; give each step a unique id`,
      );
    } else ids.set(step.step_id, i);
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

  const edges = (segment.edges ?? []).map(resolveEdge);
  const stepsById = new Map(steps.map((s) => [s.step_id, s]));
  const seen = new Map<string, number>();
  edges.forEach((edge, i) => {
    const path = `$.edges[${i}]`;
    const source = ids.has(edge.source) ? steps[ids.get(edge.source)!] : undefined;
    const target = ids.has(edge.target) ? steps[ids.get(edge.target)!] : undefined;
    if (!source)
      add(
        `${path}.source_step`,
        'dangling_edge',
        `no step "${edge.source}"; point source_step at an existing step_id`,
      );
    if (!target)
      add(
        `${path}.target_step`,
        'dangling_edge',
        `no step "${edge.target}"; point target_step at an existing step_id`,
      );
    const key = `${edge.source}\u0000${edge.sourcePort}\u0000${edge.target}\u0000${edge.targetPort}`;
    if (seen.has(key)) add(path, 'duplicate_edge', `same edge as $.edges[${seen.get(key)}]; remove one`);
    else seen.set(key, i);
    if (source && catalog.get(source.step_type)) {
      const { outputs } = stepPorts(source, catalog);
      if (!outputs.has(edge.sourcePort)) {
        add(
          `${path}.source_port`,
          'unknown_port',
          `step "${edge.source}" has no output port "${edge.sourcePort}"; its outputs are ${[...outputs].join(', ') || '(none)'}`,
        );
      }
    }
    if (target && catalog.get(target.step_type)) {
      const { inputs } = stepPorts(target, catalog);
      const back = source ? backEdgePort(edge, stepsById, backEdges) : undefined;
      if (!inputs.has(edge.targetPort) && !(back && edge.targetPort === (back.feedbackPort ?? 'feedback'))) {
        add(
          `${path}.target_port`,
          'unknown_port',
          `step "${edge.target}" has no input port "${edge.targetPort}"; its inputs are ${[...inputs].join(', ') || '(none)'}`,
        );
      }
    }
  });

  if (problems.some((p) => p.code === 'duplicate_step_id' || p.code === 'dangling_edge')) {
    return { valid: false, problems };
  }
  const graph = buildGraph(segment, backEdges);
  const cycle = findCycle(graph);
  if (cycle) {
    const ports = catalog
      .list()
      .flatMap((t) => (t.backEdges ?? []).map((p) => `a ${t.type}'s "${p.port}" port`));
    add(
      '$.edges',
      'cycle',
      `cycle ${cycle.join(' -> ')}; the only cycle allowed is a bounded loop from a back-edge port (${ports.join(', ') || 'none registered'}) back to the step that revises`,
    );
  } else {
    for (const e of graph.edges) {
      if (!e.back || !e.backPort) continue;
      const bound = e.backPort.bound(graph.steps.get(e.source)!);
      if (typeof bound === 'string' || !(bound >= 1)) {
        add(
          `$.edges[${e.index}]`,
          'unbounded_loop',
          `revision loop from "${e.source}" needs ${typeof bound === 'string' ? bound : 'a bound >= 1'}`,
        );
      }
    }
  }
  if (graph.entries.length === 0)
    add(
      '$.steps',
      'no_entry',
      'every step has an incoming edge; at least one step must receive the run input',
    );
  const reached = new Set(graph.entries);
  const stack = [...graph.entries];
  while (stack.length) {
    for (const e of graph.outgoing.get(stack.pop()!) ?? []) {
      if (!reached.has(e.target)) {
        reached.add(e.target);
        stack.push(e.target);
      }
    }
  }
  steps.forEach((s, i) => {
    if (!reached.has(s.step_id))
      add(
        `$.steps[${i}]`,
        'unreachable_step',
        `step "${s.step_id}" can never run: no path leads to it from a step that receives the run input; connect it or remove it`,
      );
  });
  return problems.length ? { valid: false, problems } : { valid: true, problems, segment };
}
