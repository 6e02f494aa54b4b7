import { readFileSync } from 'node:fs';
import type { StepCatalog } from '../catalog/step-catalog.js';
import type { SegmentProblem } from '../errors.js';
import { createAjv, describeAjvError, toJsonPath, type ValidateFunction } from '../util/ajv.js';
import { durationProblem, durationSeconds, MAX_DURATION_SECONDS } from '../util/duration.js';
import { type BackEdgePortsOf, buildGraph } from './graph.js';
import { InputSchemas } from './input-schema.js';
import type { EdgeDefinition, SegmentDefinition, StepDefinition } from './types.js';
import { checkEdges } from './validate-edges.js';
import { checkGraph } from './validate-graph.js';
import { type AddProblem, checkSteps } from './validate-steps.js';

export { stepPorts } from './step-ports.js';

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

// Only compiles schemas to find the ones ajv refuses: a cache, not state.
const inputSchemas = new InputSchemas();

let contractValidator: ValidateFunction | undefined;
function contract(): ValidateFunction {
  // Compiled once and never changed afterwards: a cache, not state.
  contractValidator ??= createAjv().compile(segmentJsonSchema);
  return contractValidator;
}

/**
 * Validates a segment against the contract and the catalog, returning every problem at
 * once, each with a JSON path and a message that says how to fix it: the contract's
 * schema, each step (id, type, config, ports, data types, durations), each edge (ends,
 * ports, data types) and the graph (cycles, loop bounds, entry, reachability). Every graph
 * walk is iterative, so a segment of any length validates without exhausting the stack.
 */
export function validateSegment(input: unknown, catalog: StepCatalog): ValidationResult {
  const backEdges: BackEdgePortsOf = (step) => catalog.get(step.step_type)?.backEdges;
  const problems: SegmentProblem[] = [];
  const add: AddProblem = (path, code, message) => problems.push({ path, code, message });
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
  const steps = segment.steps.filter(
    (s): s is StepDefinition => !!s && typeof s === 'object' && typeof s.step_id === 'string',
  );
  // A malformed edge (the schema reported it) keeps its place, so indices stay the paths.
  const edges: EdgeDefinition[] = (Array.isArray(segment.edges) ? segment.edges : []).map((e) =>
    e && typeof e === 'object' ? e : { source_step: '\u0000', target_step: '\u0000' },
  );
  const ids = checkSteps(steps, catalog, add);
  checkEdges(edges, steps, ids, catalog, backEdges, add);
  checkGraph(buildGraph({ ...segment, steps, edges }, backEdges), steps, catalog, add);
  const timeout = durationSeconds(segment.timeout);
  if (timeout !== undefined && timeout > MAX_DURATION_SECONDS)
    add('$.timeout', 'duration_too_long', durationProblem(segment.timeout)!);
  const inputSchema = inputSchemas.schemaProblem(segment);
  if (inputSchema) problems.push(inputSchema);
  return problems.length ? { valid: false, problems } : { valid: true, problems, segment };
}
