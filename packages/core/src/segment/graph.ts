import type { BackEdgePort } from '../catalog/step-hooks.js';
import type { EdgeDefinition, SegmentDefinition, StepDefinition } from './types.js';

/** The back-edge ports a step's type declares (see `StepHooks.backEdges`). */
export type BackEdgePortsOf = (step: StepDefinition) => readonly BackEdgePort[] | undefined;

/** An edge with its default ports filled in. */
export interface ResolvedEdge {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
  /** A bounded loop's back edge: it leaves a port the source's type declares in `backEdges`, towards an ancestor. */
  back: boolean;
  /** The declaration of the back-edge port, for back edges. */
  backPort?: BackEdgePort;
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

/** The back-edge port `edge` leaves, when its source's type declares one there. */
export function backEdgePort(
  edge: Pick<ResolvedEdge, 'source' | 'sourcePort'>,
  steps: Map<string, StepDefinition>,
  backEdges: BackEdgePortsOf | undefined,
): BackEdgePort | undefined {
  const source = steps.get(edge.source);
  if (!source || !backEdges) return undefined;
  return backEdges(source)?.find((p) => p.port === edge.sourcePort);
}

/**
 * Builds the graph of a structurally valid segment (ids unique, edges pointing at existing
 * steps). An edge that leaves a declared back-edge port towards an ancestor is a back edge;
 * every other edge is a forward edge.
 */
export function buildGraph(segment: SegmentDefinition, backEdges?: BackEdgePortsOf): SegmentGraph {
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
  for (const e of edges) {
    const port = backEdgePort(e, steps, backEdges);
    if (port && reaches(e.target, e.source)) {
      e.back = true;
      e.backPort = port;
    }
  }

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
