import {
  Background,
  Controls,
  type Edge,
  Handle,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
  type ReactFlowProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import ELK from 'elkjs/lib/elk.bundled.js';
import { memo, useEffect, useMemo, useState } from 'react';
import { lower } from './format.js';
import { portsOf, type SegmentDef } from './segment-model.js';

/** Data of a drawn step. */
export interface StepNodeData extends Record<string, unknown> {
  label: string;
  stepType: string;
  inputs: string[];
  outputs: string[];
  state?: string;
  problem?: string;
  selected?: boolean;
}

export type StepNode = Node<StepNodeData, 'step'>;

const PORT_SPACING = 18;

function StepNodeView({ data }: NodeProps<StepNode>) {
  const rows = Math.max(data.inputs.length, data.outputs.length);
  return (
    <div
      className={`node ${data.state ? `state-${data.state.toLowerCase()}` : ''} ${data.problem ? 'problem' : ''} ${
        data.selected ? 'selected' : ''
      }`}
      style={{ minHeight: 34 + rows * PORT_SPACING }}
      title={data.problem}
    >
      <div>
        <strong>{data.label}</strong>
      </div>
      <div className="node-type">
        {data.stepType}
        {data.state ? ` · ${lower(data.state)}` : ''}
      </div>
      {data.problem ? <div className="field-error">{data.problem}</div> : null}
      {data.inputs.map((port, i) => (
        <Handle
          key={`in-${port}`}
          id={port}
          type="target"
          position={Position.Left}
          style={{ top: 26 + (i + 0.5) * PORT_SPACING }}
          title={`input ${port}`}
          aria-label={`input port ${port}`}
        />
      ))}
      {data.outputs.map((port, i) => (
        <Handle
          key={`out-${port}`}
          id={port}
          type="source"
          position={Position.Right}
          style={{ top: 26 + (i + 0.5) * PORT_SPACING }}
          title={`output ${port}`}
          aria-label={`output port ${port}`}
        />
      ))}
    </div>
  );
}

export const nodeTypes = { step: memo(StepNodeView) };

/** Above this many steps the quick layout replaces ELK, whose layered algorithm takes seconds there. */
export const ELK_MAX_STEPS = 60;

/**
 * A fast layered layout (longest path from the sources, one barycentre pass to order each
 * layer): linear in the graph's size, for segments too big for ELK to lay out in time.
 */
export function quickLayout(
  segment: SegmentDef,
  sizes: (stepId: string) => { width: number; height: number },
): Map<string, { x: number; y: number }> {
  const ids = segment.steps.map((s) => s.step_id);
  const incoming = new Map<string, string[]>(ids.map((id) => [id, []]));
  const outgoing = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of segment.edges) {
    if (!incoming.has(e.target_step) || !outgoing.has(e.source_step)) continue;
    incoming.get(e.target_step)?.push(e.source_step);
    outgoing.get(e.source_step)?.push(e.target_step);
  }
  // Kahn's order; steps left in a cycle (revision loops) keep the layer of what reached them.
  const pending = new Map(ids.map((id) => [id, incoming.get(id)?.length ?? 0]));
  const queue = ids.filter((id) => pending.get(id) === 0);
  const layer = new Map<string, number>(queue.map((id) => [id, 0]));
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    for (const next of outgoing.get(id) ?? []) {
      layer.set(next, Math.max(layer.get(next) ?? 0, (layer.get(id) ?? 0) + 1));
      pending.set(next, (pending.get(next) ?? 1) - 1);
      if (pending.get(next) === 0) queue.push(next);
    }
  }
  for (const id of ids) if (!layer.has(id)) layer.set(id, 0);
  const layers: string[][] = [];
  for (const id of ids) {
    const at = layer.get(id) as number;
    if (!layers[at]) layers[at] = [];
    layers[at].push(id);
  }
  const position = new Map<string, { x: number; y: number }>();
  const rank = new Map<string, number>();
  let x = 0;
  for (const members of layers) {
    if (!members) continue;
    const order = members
      .map((id, i) => {
        const preds = (incoming.get(id) ?? []).filter((p) => rank.has(p));
        const centre = preds.length
          ? preds.reduce((sum, p) => sum + (rank.get(p) as number), 0) / preds.length
          : i;
        return { id, centre };
      })
      .sort((a, b) => a.centre - b.centre);
    let y = 0;
    let width = 0;
    order.forEach(({ id }, i) => {
      rank.set(id, i);
      const size = sizes(id);
      position.set(id, { x, y });
      y += size.height + 30;
      width = Math.max(width, size.width);
    });
    x += width + 60;
  }
  return position;
}

/** Positions by step id, laid out left to right by ELK's layered algorithm (or {@link quickLayout} for big segments). */
export async function layoutSegment(
  segment: SegmentDef,
  sizes: (stepId: string) => { width: number; height: number },
): Promise<Map<string, { x: number; y: number }>> {
  if (segment.steps.length > ELK_MAX_STEPS) return quickLayout(segment, sizes);
  const elk = new ELK();
  const ids = new Set(segment.steps.map((s) => s.step_id));
  const graph = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '30',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
    },
    children: segment.steps.map((s) => ({ id: s.step_id, ...sizes(s.step_id) })),
    edges: segment.edges
      .filter((e) => ids.has(e.source_step) && ids.has(e.target_step))
      .map((e, i) => ({ id: `e${i}`, sources: [e.source_step], targets: [e.target_step] })),
  });
  return new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
}

/** Nodes and edges of a segment (positions to be filled by the caller). */
export function toFlow(
  segment: SegmentDef,
  options: {
    states?: Map<string, string>;
    problems?: Map<string, string>;
    selected?: string;
    typePorts?: (stepType: string) => { inputs: string[]; outputs: string[] } | undefined;
    positions?: Map<string, { x: number; y: number }>;
  } = {},
): { nodes: StepNode[]; edges: Edge[] } {
  const nodes: StepNode[] = segment.steps.map((step, i) => {
    const ports = portsOf(step, segment.edges, options.typePorts?.(step.step_type));
    return {
      id: step.step_id,
      type: 'step',
      position: options.positions?.get(step.step_id) ?? { x: (i % 5) * 220, y: Math.floor(i / 5) * 120 },
      data: {
        label: step.name ?? step.step_id,
        stepType: step.step_type,
        inputs: ports.inputs,
        outputs: ports.outputs,
        state: options.states?.get(step.step_id),
        problem: options.problems?.get(step.step_id),
        selected: options.selected === step.step_id,
      },
      ariaLabel: `Step ${step.name ?? step.step_id} (${step.step_type})${
        options.states?.get(step.step_id) ? `, ${lower(options.states.get(step.step_id) as string)}` : ''
      }`,
    };
  });
  const edges: Edge[] = segment.edges.map((e, i) => ({
    id: `${e.source_step}:${e.source_port ?? 'output'}->${e.target_step}:${e.target_port ?? 'input'}:${i}`,
    source: e.source_step,
    sourceHandle: e.source_port ?? 'output',
    target: e.target_step,
    targetHandle: e.target_port ?? 'input',
    label: e.source_port && e.source_port !== 'output' ? e.source_port : undefined,
    animated:
      options.states?.get(e.source_step) === 'COMPLETED' && options.states?.get(e.target_step) === 'RUNNING',
  }));
  return { nodes, edges };
}

export function nodeSize(segment: SegmentDef, stepId: string): { width: number; height: number } {
  const step = segment.steps.find((s) => s.step_id === stepId);
  const ports = step ? portsOf(step, segment.edges) : { inputs: [], outputs: [] };
  return { width: 170, height: 40 + Math.max(ports.inputs.length, ports.outputs.length) * PORT_SPACING };
}

/** Props of {@link SegmentGraph}. */
export interface SegmentGraphProps {
  segment: SegmentDef;
  /** Step status by step id (colours the nodes). */
  states?: Map<string, string>;
  selected?: string;
  onSelect?: (stepId: string) => void;
  label: string;
  /** Extra React Flow props. */
  flow?: Partial<ReactFlowProps<StepNode, Edge>>;
}

/** A read-only drawing of a segment, laid out automatically, coloured by step state. */
export function SegmentGraph(props: SegmentGraphProps) {
  const { segment } = props;
  const [positions, setPositions] = useState<Map<string, { x: number; y: number }>>();
  const shape = useMemo(
    () => JSON.stringify([segment.steps.map((s) => s.step_id), segment.edges]),
    [segment.steps, segment.edges],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-layout only when the shape changes
  useEffect(() => {
    let live = true;
    layoutSegment(segment, (id) => nodeSize(segment, id)).then((p) => {
      if (live) setPositions(p);
    });
    return () => {
      live = false;
    };
  }, [shape]);
  const { nodes, edges } = useMemo(
    () => toFlow(segment, { states: props.states, selected: props.selected, positions }),
    [segment, props.states, props.selected, positions],
  );
  return (
    <section className="graph" aria-label={props.label} data-laid-out={positions ? 'true' : 'false'}>
      {positions ? (
        <ReactFlow<StepNode, Edge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          fitView
          fitViewOptions={{ maxZoom: 1.2 }}
          minZoom={0.1}
          nodesDraggable={false}
          nodesConnectable={false}
          onlyRenderVisibleElements
          onNodeClick={(_e, node) => props.onSelect?.(node.id)}
          {...props.flow}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      ) : (
        <p className="empty">Laying out the graph…</p>
      )}
    </section>
  );
}
