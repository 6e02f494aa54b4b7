import type { StepCatalog } from '../catalog/step-catalog.js';
import type { SegmentProblem } from '../errors.js';
import type { SegmentDefinition } from './types.js';

/** Reads a stored segment definition (the latest version when `version` is absent). */
export type SegmentLookup = (segmentId: string, version?: string) => Promise<SegmentDefinition | undefined>;

/** How many references deep the cycle check follows before it stops looking. */
const MAX_WALK = 64;

/**
 * Checks the segments a segment's steps refer to (their types' `references` hook): each
 * must be registered (`unknown_segment`), and no chain of references may lead back to the
 * segment itself (`segment_cycle`). Each problem names the step's field that holds the
 * reference, e.g. `$.steps[2].config.segment_id`.
 */
export async function checkSegmentReferences(
  segment: SegmentDefinition,
  catalog: StepCatalog,
  lookup: SegmentLookup,
): Promise<SegmentProblem[]> {
  const problems: SegmentProblem[] = [];
  const refsOf = (def: SegmentDefinition) =>
    def.steps.flatMap((step, i) =>
      (catalog.get(step.step_type)?.references?.(step) ?? []).map((ref) => ({
        ...ref,
        stepId: step.step_id,
        path: `$.steps[${i}]${ref.path}`,
      })),
    );
  for (const ref of refsOf(segment)) {
    const field = ref.path.replace(/^\$\.steps\[\d+\]\./, '');
    if (ref.segmentId === segment.segment_id) {
      problems.push({
        path: ref.path,
        code: 'segment_cycle',
        message: `step "${ref.stepId}", ${field}: segment "${segment.segment_id}" would start itself (${segment.segment_id} -> ${segment.segment_id}); a child segment must be another segment`,
      });
      continue;
    }
    const target = await lookup(ref.segmentId, ref.version);
    if (!target) {
      problems.push({
        path: ref.path,
        code: 'unknown_segment',
        message: `step "${ref.stepId}", ${field}: segment "${ref.segmentId}"${ref.version ? ` version ${ref.version}` : ''} is not registered; upsert it first (or fix the id)`,
      });
      continue;
    }
    const cycle = await findPathBack(target, segment.segment_id, refsOf, lookup);
    if (cycle) {
      problems.push({
        path: ref.path,
        code: 'segment_cycle',
        message: `step "${ref.stepId}", ${field}: segments start each other in a cycle (${[segment.segment_id, ...cycle].join(' -> ')}); break the cycle`,
      });
    }
  }
  return problems;
}

/** The chain of segment ids from `from` back to `home`, if the references lead there. */
async function findPathBack(
  from: SegmentDefinition,
  home: string,
  refsOf: (def: SegmentDefinition) => Array<{ segmentId: string; version?: string }>,
  lookup: SegmentLookup,
): Promise<string[] | undefined> {
  const seen = new Set<string>();
  const walk = async (def: SegmentDefinition, path: string[]): Promise<string[] | undefined> => {
    if (seen.has(def.segment_id) || seen.size > MAX_WALK) return undefined;
    seen.add(def.segment_id);
    for (const ref of refsOf(def)) {
      if (ref.segmentId === home) return [...path, home];
      const next = await lookup(ref.segmentId, ref.version);
      if (next) {
        const found = await walk(next, [...path, next.segment_id]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(from, [from.segment_id]);
}
