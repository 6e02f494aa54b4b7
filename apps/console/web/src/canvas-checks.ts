import type { StepType } from '@llmteam/client';
import { type JsonSchema, validateSchema } from './json-schema.js';
import { portsOf, type SegmentDef } from './segment-model.js';

/** A problem found while editing, with the step it belongs to (if any). */
export interface CanvasProblem {
  stepId?: string;
  path: string;
  message: string;
}

/**
 * Checks the console can make as you draw, before the gateway's full validation on save:
 * unknown step types, configs failing their type's JSON Schema, duplicate ids, edges to
 * missing steps or ports.
 */
export function checkSegment(segment: SegmentDef, types: Map<string, StepType>): CanvasProblem[] {
  const problems: CanvasProblem[] = [];
  if (!segment.segment_id) problems.push({ path: '$.segment_id', message: 'segment_id is required' });
  const seen = new Set<string>();
  segment.steps.forEach((step, i) => {
    const at = `$.steps[${i}]`;
    if (seen.has(step.step_id))
      problems.push({
        stepId: step.step_id,
        path: `${at}.step_id`,
        message: `duplicate step_id "${step.step_id}"`,
      });
    seen.add(step.step_id);
    const type = types.get(step.step_type);
    if (!type) {
      problems.push({
        stepId: step.step_id,
        path: `${at}.step_type`,
        message: `unknown step type "${step.step_type}"`,
      });
      return;
    }
    for (const p of validateSchema(type.configSchema as JsonSchema, step.config ?? {}))
      problems.push({
        stepId: step.step_id,
        path: `${at}.config${p.path.replace(/\//g, '.')}`,
        message: `config${p.path} ${p.message}`,
      });
  });
  const ids = new Map(segment.steps.map((s) => [s.step_id, s]));
  segment.edges.forEach((edge, i) => {
    const at = `$.edges[${i}]`;
    const source = ids.get(edge.source_step);
    const target = ids.get(edge.target_step);
    if (!source) problems.push({ path: at, message: `edge from missing step "${edge.source_step}"` });
    if (!target) problems.push({ path: at, message: `edge to missing step "${edge.target_step}"` });
    if (!source || !target) return;
    const sourceType = types.get(source.step_type);
    if (sourceType && !sourceType.dynamicPorts && sourceType.outputs.length) {
      const port = edge.source_port ?? 'output';
      const declared = portsOf(source, [], {
        inputs: [],
        outputs: sourceType.outputs.map((p) => p.portId),
      }).outputs;
      if (!declared.includes(port))
        problems.push({
          stepId: source.step_id,
          path: `${at}.source_port`,
          message: `"${source.step_id}" has no output port "${port}"`,
        });
    }
  });
  return problems;
}
