import type { StepCatalog } from '../catalog/step-catalog.js';
import { findCycles, type SegmentGraph } from './graph.js';
import type { StepDefinition } from './types.js';
import type { AddProblem } from './validate-steps.js';

/**
 * Checks the segment as a graph: cycles (every one, each named), loop bounds, an entry
 * step, steps no path reaches. Runs even when steps or edges have problems of their own:
 * the graph then holds the first step of each id and the edges between existing steps.
 */
export function checkGraph(
  graph: SegmentGraph,
  steps: StepDefinition[],
  catalog: StepCatalog,
  add: AddProblem,
): void {
  const cycles = findCycles(graph);
  if (cycles.length) {
    const ports = catalog
      .list()
      .flatMap((t) => (t.backEdges ?? []).map((p) => `a ${t.type}'s "${p.port}" port`));
    for (const { steps: cycle, edge } of cycles) {
      add(
        `$.edges[${edge}]`,
        'cycle',
        `cycle ${describeCycle(cycle)}; the only cycle allowed is a bounded loop from a back-edge port (${ports.join(', ') || 'none registered'}) back to the step that revises`,
      );
    }
  }
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
  if (graph.entries.length === 0) {
    // Then no step is reachable: one problem says it, not one per step.
    add(
      '$.steps',
      'no_entry',
      'every step has an incoming edge; at least one step must receive the run input',
    );
    return;
  }
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
}

/** A cycle as `a -> b -> a`; a long one keeps its first and last steps and counts the rest. */
function describeCycle(cycle: string[]): string {
  if (cycle.length <= 12) return cycle.join(' -> ');
  return [...cycle.slice(0, 6), `... (${cycle.length - 9} more)`, ...cycle.slice(-3)].join(' -> ');
}
