import type { SegmentDefinition } from '../segment/types.js';
import type { SealedValue, Sensitivity } from './sealed-value.js';
import { sealedPointer } from './sealer.js';

/** What one step seals and may open. */
interface StepRules {
  /** Its own `sealed_fields` as pointers: the values its handler opens. */
  own: Set<string>;
  /** Steps its `sealed_grants` lets open what it seals. */
  grants: Set<string>;
  level: Sensitivity;
  /** Paths sealed on each output port: the segment's, the step's, and those of the steps the port feeds. */
  outputs: Map<string, string[]>;
  /** Paths sealed on a port with no edge (the run's outputs): the segment's and the step's. */
  base: string[];
}

/**
 * Which values of a segment's runs are sealed and which step handlers open them (the
 * segment's and steps' `sealed_fields`, `sealed_grants` and `sensitivity`). A step's
 * handler opens a sealed value when its own `sealed_fields` names the value's path, when it
 * sealed the value itself, or when the sealing step lists it in `sealed_grants`.
 */
export class SealingPlan {
  /** False when the segment seals nothing: runs of it pay nothing for sealing. */
  readonly active: boolean;
  /** Paths sealed in the run input: the segment's and those of the entry steps. */
  readonly inputPaths: string[];
  private readonly steps = new Map<string, StepRules>();

  constructor(segment: SegmentDefinition) {
    const shared = segment.sealed_fields ?? [];
    const edges = segment.edges ?? [];
    const hasIncoming = new Set(edges.map((e) => e.target_step));
    const byId = new Map(segment.steps.map((s) => [s.step_id, s]));
    const input = new Set(shared);
    let active = shared.length > 0;
    for (const step of segment.steps) {
      const own = step.sealed_fields ?? [];
      const level = step.sensitivity ?? 'internal';
      if (own.length || level === 'confidential' || level === 'restricted') active = true;
      const base = [...new Set([...(level === 'restricted' ? [''] : []), ...shared, ...own])];
      const outputs = new Map<string, string[]>();
      for (const edge of edges) {
        if (edge.source_step !== step.step_id) continue;
        const port = edge.source_port ?? 'output';
        const fed = byId.get(edge.target_step)?.sealed_fields ?? [];
        outputs.set(port, [...new Set([...(outputs.get(port) ?? base), ...fed])]);
      }
      if (!hasIncoming.has(step.step_id)) for (const p of own) input.add(p);
      this.steps.set(step.step_id, {
        own: new Set(own.map(sealedPointer)),
        grants: new Set(step.sealed_grants ?? []),
        level,
        outputs,
        base,
      });
    }
    this.active = active;
    this.inputPaths = [...input];
  }

  /** True when the handler of `stepId` may see the plaintext of `sealed`. */
  mayOpen(stepId: string, sealed: SealedValue): boolean {
    const { by, path } = sealed.$sealed;
    if (by === stepId) return true;
    if (this.steps.get(stepId)?.own.has(path)) return true;
    return by !== '' && this.steps.get(by)?.grants.has(stepId) === true;
  }

  /** Paths sealed in the value a step writes on `port`. */
  outputPaths(stepId: string, port: string): readonly string[] {
    const rules = this.steps.get(stepId);
    if (!rules) return [];
    return rules.outputs.get(port) ?? rules.base;
  }

  /** The step's `sensitivity`. */
  level(stepId: string): Sensitivity {
    return this.steps.get(stepId)?.level ?? 'internal';
  }
}

/**
 * The segment's sealing rules that validation refuses: a `sealed_grants` entry that names no
 * step of the segment, as `[path, message]` pairs.
 */
export function sealingProblems(segment: SegmentDefinition): Array<[string, string]> {
  const ids = new Set(segment.steps.map((s) => s?.step_id));
  const problems: Array<[string, string]> = [];
  segment.steps.forEach((step, i) => {
    (Array.isArray(step?.sealed_grants) ? step.sealed_grants : []).forEach((grant, j) => {
      if (typeof grant === 'string' && !ids.has(grant))
        problems.push([
          `$.steps[${i}].sealed_grants[${j}]`,
          `sealed_grants names step "${grant}", which is not in the segment; name a step_id of this segment`,
        ]);
    });
  });
  return problems;
}
