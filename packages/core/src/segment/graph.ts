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
  // With a duplicate id (validation reports it) the first step of that id counts.
  const steps = new Map<string, StepDefinition>();
  for (const s of segment.steps) if (!steps.has(s.step_id)) steps.set(s.step_id, s);
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
  const successors = new Map<string, string[]>();
  for (const [id, list] of outgoing) {
    successors.set(id, list.length < 2 ? list.map((e) => e.target) : [...new Set(list.map((e) => e.target))]);
  }
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

/** One cycle of {@link findCycles}: the step ids on it and the edge that closes it. */
export interface FoundCycle {
  /** Step ids along the cycle, the first one repeated at the end. */
  steps: string[];
  /** Index in `segment.edges` of the edge back into the first step. */
  edge: number;
}

/**
 * Every cycle over forward edges, one per strongly connected component (Tarjan's
 * algorithm, iterative): each is a shortest cycle through the component's first step.
 */
export function findCycles(graph: Pick<SegmentGraph, 'steps' | 'outgoing'>): FoundCycle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const path: string[] = [];
  const next: number[] = [];
  const enter = (id: string) => {
    index.set(id, counter);
    low.set(id, counter++);
    stack.push(id);
    onStack.add(id);
    path.push(id);
    next.push(0);
  };
  for (const root of graph.steps.keys()) {
    if (index.has(root)) continue;
    enter(root);
    while (path.length) {
      const top = path.length - 1;
      const id = path[top];
      const edges = graph.outgoing.get(id) ?? [];
      if (next[top] < edges.length) {
        const target = edges[next[top]++].target;
        if (!index.has(target)) enter(target);
        else if (onStack.has(target)) low.set(id, Math.min(low.get(id)!, index.get(target)!));
        continue;
      }
      path.pop();
      next.pop();
      if (path.length) {
        const parent = path[path.length - 1];
        low.set(parent, Math.min(low.get(parent)!, low.get(id)!));
      }
      if (low.get(id) === index.get(id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== id);
        components.push(component);
      }
    }
  }
  const cycles: FoundCycle[] = [];
  let position: Map<string, number> | undefined;
  for (const component of components) {
    if (component.length === 1) {
      const only = component[0];
      if (!(graph.outgoing.get(only) ?? []).some((e) => e.target === only)) continue;
    }
    const members = new Set(component);
    // Name the component by the step that comes first in the segment.
    position ??= new Map([...graph.steps.keys()].map((id, i) => [id, i]));
    const first = component.reduce((a, b) => (position!.get(a)! <= position!.get(b)! ? a : b));
    const cycle = shortestCycle(graph, first, members);
    if (cycle) cycles.push(cycle);
  }
  return cycles.sort((a, b) => a.edge - b.edge);
}

/** Breadth-first from `start` inside `members` back to `start`; undefined when there is no way back. */
function shortestCycle(
  graph: Pick<SegmentGraph, 'outgoing'>,
  start: string,
  members: Set<string>,
): FoundCycle | undefined {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    for (const e of graph.outgoing.get(id) ?? []) {
      if (!members.has(e.target)) continue;
      if (e.target === start) {
        // Collected backwards from the closing edge: reversed into walking order.
        const back: string[] = [];
        for (let at = id; at !== start; at = parent.get(at)!) back.push(at);
        return { steps: [start, ...back.reverse(), start], edge: e.index };
      }
      if (!parent.has(e.target)) {
        parent.set(e.target, id);
        queue.push(e.target);
      }
    }
  }
  return undefined;
}
