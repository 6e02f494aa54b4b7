/** A step of a segment definition (the JSON contract's snake_case fields). */
export interface StepDef {
  step_id: string;
  step_type: string;
  name?: string;
  config?: Record<string, unknown>;
  inputs?: Array<{ port_id: string; data_type?: string }>;
  outputs?: Array<{ port_id: string; data_type?: string }>;
  [key: string]: unknown;
}

/** An edge of a segment definition; ports default to `output` and `input`. */
export interface EdgeDef {
  source_step: string;
  source_port?: string;
  target_step: string;
  target_port?: string;
}

/** A segment definition as the gateway stores it. */
export interface SegmentDef {
  segment_id: string;
  name?: string;
  version?: string;
  description?: string;
  steps: StepDef[];
  edges: EdgeDef[];
  [key: string]: unknown;
}

/** Reads a definition defensively: anything missing becomes empty. */
export function asSegment(value: unknown): SegmentDef {
  const v = (value ?? {}) as Partial<SegmentDef>;
  return {
    ...v,
    segment_id: String(v.segment_id ?? ''),
    steps: Array.isArray(v.steps) ? v.steps : [],
    edges: Array.isArray(v.edges) ? v.edges : [],
  } as SegmentDef;
}

/** The ports a step shows: declared ones, the ones its edges use, and the type's fixed ones. */
export function portsOf(
  step: StepDef,
  edges: EdgeDef[],
  typePorts?: { inputs: string[]; outputs: string[] },
): { inputs: string[]; outputs: string[] } {
  const inputs = new Set<string>(typePorts?.inputs ?? []);
  const outputs = new Set<string>(typePorts?.outputs ?? []);
  for (const p of step.inputs ?? []) inputs.add(p.port_id);
  for (const p of step.outputs ?? []) outputs.add(p.port_id);
  for (const e of edges) {
    if (e.target_step === step.step_id) inputs.add(e.target_port ?? 'input');
    if (e.source_step === step.step_id) outputs.add(e.source_port ?? 'output');
  }
  if (!inputs.size) inputs.add('input');
  if (!outputs.size) outputs.add('output');
  return { inputs: [...inputs], outputs: [...outputs] };
}

/** The step a problem's JSON path points into (`$.steps[2].config` -> the third step's id). */
export function stepOfProblem(path: string, segment: SegmentDef): string | undefined {
  const m = /steps\[(\d+)\]/.exec(path) ?? /steps\/(\d+)/.exec(path) ?? /steps\.(\d+)/.exec(path);
  if (m) return segment.steps[Number(m[1])]?.step_id;
  const e = /edges\[(\d+)\]/.exec(path) ?? /edges\/(\d+)/.exec(path);
  if (e) return segment.edges[Number(e[1])]?.target_step;
  return undefined;
}
