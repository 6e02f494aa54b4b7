import type { EdgeDefinition, SegmentDefinition, StepDefinition } from './types.js';

/** An edge with its default ports filled in. */
export interface ResolvedEdge {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
  /** A revision loop's back edge (from a `human_task`'s `changes_requested` port to an ancestor). */
  back: boolean;
  index: number;
}

/** The segment as the engine walks it: steps by id, edges in and out, topological order. */
export interface SegmentGraph {
  segment: SegmentDefinition;
  steps: Map<string, StepDefinition>;
  edges: ResolvedEdge[];
  /** Forward (non-back) edges into each step. */
  incoming: Map<string, ResolvedEdge[]>;
  /** Forward (non-back) edges out of each step. */
  outgoing: Map<string, ResolvedEdge[]>;
  /** Back edges out of each step. */
  backOut: Map<string, ResolvedEdge[]>;
  /** Targets of each step's forward edges. */
  successors: Map<string, string[]>;
  /** Steps with no forward incoming edge: they receive the run's input. */
  entries: string[];
  /** Steps with no outgoing edge: their outputs are the run's outputs. */
  terminals: string[];
  /** Steps reachable from each step over forward edges (itself excluded). */
  descendants(stepId: string): Set<string>;
}

export function resolveEdge(edge: EdgeDefinition, index: number): ResolvedEdge {
  return {
    source: edge.source_step,
    sourcePort: edge.source_port ?? 'output',
    target: edge.target_step,
    targetPort: edge.target_port ?? 'input',
    back: false,
    index,
  };
}

/** True when `edge` leaves a human task's `changes_requested` port and `target` reaches `source`. */
function isRevisionBackEdge(
  edge: ResolvedEdge,
  steps: Map<string, StepDefinition>,
  reaches: (a: string, b: string) => boolean,
): boolean {
  const source = steps.get(edge.source);
  return (
    source?.step_type === 'human_task' &&
    edge.sourcePort === 'changes_requested' &&
    reaches(edge.target, edge.source)
  );
}

/**
 * Builds the graph of a structurally valid segment (ids unique, edges pointing at existing
 * steps). Back edges of revision loops are told apart from ordinary ones.
 */
export function buildGraph(segment: SegmentDefinition): SegmentGraph {
  const steps = new Map(segment.steps.map((s) => [s.step_id, s]));
  const edges = (segment.edges ?? [])
    .map(resolveEdge)
    .filter((e) => steps.has(e.source) && steps.has(e.target));
  const all = new Map<string, string[]>();
  for (const e of edges) {
    const list = all.get(e.source);
    if (list) list.push(e.target);
    else all.set(e.source, [e.target]);
  }
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const cur = stack.pop()!;
      if (cur === to) return true;
      if (seen.has(cur)) continue;
      seen.add(cur);
      for (const n of all.get(cur) ?? []) stack.push(n);
    }
    return false;
  };
  for (const e of edges) e.back = isRevisionBackEdge(e, steps, reaches);

  const incoming = new Map<string, ResolvedEdge[]>();
  const outgoing = new Map<string, ResolvedEdge[]>();
  const backOut = new Map<string, ResolvedEdge[]>();
  const hasAnyOut = new Set<string>();
  for (const id of steps.keys()) {
    incoming.set(id, []);
    outgoing.set(id, []);
    backOut.set(id, []);
  }
  for (const e of edges) {
    hasAnyOut.add(e.source);
    if (e.back) backOut.get(e.source)!.push(e);
    else {
      outgoing.get(e.source)!.push(e);
      incoming.get(e.target)!.push(e);
    }
  }
  const successors = new Map(
    [...outgoing].map(([id, list]) => [id, [...new Set(list.map((e) => e.target))]]),
  );
  const entries = [...steps.keys()].filter((id) => incoming.get(id)!.length === 0);
  const terminals = [...steps.keys()].filter((id) => !hasAnyOut.has(id));
  const descendantCache = new Map<string, Set<string>>();
  const descendants = (stepId: string): Set<string> => {
    let found = descendantCache.get(stepId);
    if (found) return found;
    found = new Set();
    const stack = outgoing.get(stepId)!.map((e) => e.target);
    while (stack.length) {
      const cur = stack.pop()!;
      if (found.has(cur)) continue;
      found.add(cur);
      for (const e of outgoing.get(cur) ?? []) stack.push(e.target);
    }
    descendantCache.set(stepId, found);
    return found;
  };
  return { segment, steps, edges, incoming, outgoing, backOut, successors, entries, terminals, descendants };
}

/** Finds a cycle over forward edges; returns the step ids on it, or undefined. */
export function findCycle(graph: Pick<SegmentGraph, 'steps' | 'outgoing'>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    path.push(id);
    for (const e of graph.outgoing.get(id) ?? []) {
      const s = state.get(e.target);
      if (s === 1) return [...path.slice(path.indexOf(e.target)), e.target];
      if (s === undefined) {
        const found = visit(e.target);
        if (found) return found;
      }
    }
    path.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const id of graph.steps.keys()) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return undefined;
}
