import type { StepCatalog } from '../catalog/step-catalog.js';
import { dataTypeAccepts, isDataType } from './data-types.js';
import { type BackEdgePortsOf, backEdgePort, resolveEdge } from './graph.js';
import { portDataType, stepPorts } from './step-ports.js';
import type { EdgeDefinition, StepDefinition } from './types.js';
import type { AddProblem } from './validate-steps.js';

/**
 * Checks each edge: both ends exist, no duplicate, the source port is one its step writes
 * (with its config), the target port one its step reads, and their data types fit.
 */
export function checkEdges(
  edges: EdgeDefinition[],
  steps: StepDefinition[],
  ids: Map<string, number>,
  catalog: StepCatalog,
  backEdges: BackEdgePortsOf,
  add: AddProblem,
): void {
  const stepsById = new Map<string, StepDefinition>();
  for (const [id, i] of ids) stepsById.set(id, steps[i]);
  const ports = new Map<StepDefinition, ReturnType<typeof stepPorts>>();
  const portsOf = (step: StepDefinition) => {
    let found = ports.get(step);
    if (!found) {
      found = stepPorts(step, catalog);
      ports.set(step, found);
    }
    return found;
  };
  const seen = new Map<string, number>();
  edges.forEach((definition, i) => {
    if (!definition || typeof definition !== 'object') return;
    const edge = resolveEdge(definition, i);
    const path = `$.edges[${i}]`;
    const source = stepsById.get(edge.source);
    const target = stepsById.get(edge.target);
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
    const same = seen.get(key);
    if (same !== undefined) add(path, 'duplicate_edge', `same edge as $.edges[${same}]; remove one`);
    else seen.set(key, i);
    let portsOk = true;
    if (source && catalog.get(source.step_type)) {
      const { outputs, unwritten } = portsOf(source);
      if (unwritten?.ports.has(edge.sourcePort)) {
        portsOk = false;
        add(
          `${path}.source_port`,
          'port_never_written',
          `step "${edge.source}" (${source.step_type}) never writes "${edge.sourcePort}" with its config${unwritten.hint ? `: ${unwritten.hint}` : ''}; change the config or remove the edge (it writes ${[...outputs].join(', ') || 'nothing'})`,
        );
      } else if (!outputs.has(edge.sourcePort)) {
        portsOk = false;
        add(
          `${path}.source_port`,
          'unknown_port',
          `step "${edge.source}" has no output port "${edge.sourcePort}"; its outputs are ${[...outputs].join(', ') || '(none)'}`,
        );
      }
    }
    if (target && catalog.get(target.step_type)) {
      const { inputs } = portsOf(target);
      const back = source ? backEdgePort(edge, stepsById, backEdges) : undefined;
      if (!inputs.has(edge.targetPort) && !(back && edge.targetPort === (back.feedbackPort ?? 'feedback'))) {
        portsOk = false;
        add(
          `${path}.target_port`,
          'unknown_port',
          `step "${edge.target}" has no input port "${edge.targetPort}"; its inputs are ${[...inputs].join(', ') || '(none)'}`,
        );
      }
    }
    if (source && target && portsOk) {
      const from = portDataType(source, catalog, 'outputs', edge.sourcePort);
      const to = portDataType(target, catalog, 'inputs', edge.targetPort);
      if (isDataType(from) && isDataType(to) && !dataTypeAccepts(to, from)) {
        add(
          path,
          'incompatible_data_type',
          `"${edge.source}.${edge.sourcePort}" carries ${from} but "${edge.target}.${edge.targetPort}" takes ${to}; ${
            from === 'json'
              ? `a json value is not known to be ${to}: declare the source port's data_type as ${to}`
              : `make the data types match`
          }, or give the target port data_type "json" or "any"`,
        );
      }
    }
  });
}
