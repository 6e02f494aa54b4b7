import type { ProcessMap, ProcessMapEdge, ProcessMapNode } from '@llmteam/client';
import {
  Background,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import ELK from 'elkjs/lib/elk.bundled.js';
import { memo, useEffect, useMemo, useState } from 'react';
import { elapsed } from './format.js';
import { useSession } from './session.js';

const START = '__start__';
const END = '__end__';
const NODE = { width: 180, height: 58 };

/** Time ranges the map can cover: runs created in the last day, week, month, or all. */
const RANGES = [
  { id: 'all', label: 'All runs', ms: 0 },
  { id: '1d', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;

/** Data of a drawn activity. */
interface ActivityData extends Record<string, unknown> {
  node: ProcessMapNode;
  /** Share of the most frequent activity's count (0..1), for the fill. */
  weight: number;
}
type ActivityNode = Node<ActivityData, 'activity'>;

function activityName(activity: string): string {
  if (activity === START) return 'Start';
  if (activity === END) return 'End';
  return activity;
}

function ActivityView({ data }: NodeProps<ActivityNode>) {
  const { node, weight } = data;
  const boundary = node.activity === START || node.activity === END;
  return (
    <div
      className={`node activity ${boundary ? 'boundary' : ''}`}
      style={{ ['--weight' as string]: weight }}
      data-activity={node.activity}
    >
      <Handle type="target" position={Position.Left} />
      <div>
        <strong>{activityName(node.activity)}</strong> <span className="activity-count">×{node.count}</span>
      </div>
      <div className="node-type">
        {boundary
          ? `${node.count} run${node.count === 1 ? '' : 's'}`
          : `${node.stepType ?? 'step'} · median ${elapsed(node.duration.p50Ms)}`}
        {node.failed ? <span className="activity-failed"> · {node.failed} failed</span> : null}
      </div>
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

const nodeTypes = { activity: memo(ActivityView) };

/** Positions by activity, left to right by ELK's layered algorithm (loops broken depth first). */
async function layout(map: ProcessMap): Promise<Map<string, { x: number; y: number }>> {
  const graph = await new ELK().layout({
    id: 'process',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '36',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
    },
    children: map.nodes.map((n) => ({ id: n.activity, ...NODE })),
    edges: map.edges
      .filter((e) => e.source !== e.target)
      .map((e, i) => ({ id: `p${i}`, sources: [e.source], targets: [e.target] })),
  });
  return new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
}

function edgeLabel(e: ProcessMapEdge): string {
  return `${e.count} · ${elapsed(e.duration.p50Ms)}`;
}

/** Nodes and edges of a process map; edge width grows with its count. */
function toFlow(
  map: ProcessMap,
  positions: Map<string, { x: number; y: number }>,
): { nodes: ActivityNode[]; edges: Edge[] } {
  const topNode = Math.max(
    1,
    ...map.nodes.filter((n) => n.activity !== START && n.activity !== END).map((n) => n.count),
  );
  const topEdge = Math.max(1, ...map.edges.map((e) => e.count));
  const nodes: ActivityNode[] = map.nodes.map((node) => ({
    id: node.activity,
    type: 'activity',
    position: positions.get(node.activity) ?? { x: 0, y: 0 },
    data: { node, weight: node.activity === START || node.activity === END ? 0 : node.count / topNode },
    ariaLabel: `Activity ${activityName(node.activity)}: ${node.count} time${node.count === 1 ? '' : 's'}${
      node.failed ? `, ${node.failed} failed` : ''
    }`,
  }));
  const edges: Edge[] = map.edges.map((e) => ({
    id: `${e.source}->${e.target}`,
    source: e.source,
    target: e.target,
    label: edgeLabel(e),
    ariaLabel: `${activityName(e.source)} to ${activityName(e.target)}: ${e.count} times, median ${elapsed(e.duration.p50Ms)}`,
    markerEnd: { type: MarkerType.ArrowClosed },
    style: { strokeWidth: 1 + (4 * e.count) / topEdge },
    animated: e.source === e.target,
  }));
  return { nodes, edges };
}

/**
 * The process map of a segment (GraphQL `processMap`): activities with how often they ran,
 * how often they failed and their median duration; transitions with how often one activity
 * followed another and the median time between them. Drawn when the segment has runs in the
 * chosen range, with the same figures as a table.
 */
export function ProcessMapPanel({ segmentId }: { segmentId: string }) {
  const { client } = useSession();
  const [range, setRange] = useState<(typeof RANGES)[number]['id']>('all');
  const [map, setMap] = useState<ProcessMap>();
  const [positions, setPositions] = useState<Map<string, { x: number; y: number }>>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    const ms = RANGES.find((r) => r.id === range)?.ms ?? 0;
    setError(undefined);
    client
      .processMap(segmentId, ms ? { from: new Date(Date.now() - ms).toISOString() } : {})
      .then(async (next) => {
        const laidOut = next.runs ? await layout(next) : new Map();
        if (!live) return;
        setMap(next);
        setPositions(laidOut);
      })
      .catch((cause) => live && setError((cause as Error).message));
    return () => {
      live = false;
    };
  }, [client, segmentId, range]);
  const flow = useMemo(() => (map && positions ? toFlow(map, positions) : undefined), [map, positions]);
  return (
    <section className="panel" aria-labelledby="process-map-heading">
      <div className="toolbar">
        <h2 id="process-map-heading">Process map</h2>
        <label className="help" style={{ marginLeft: 'auto' }}>
          Runs{' '}
          <select
            aria-label="Runs in the map"
            value={range}
            onChange={(e) => setRange(e.target.value as typeof range)}
          >
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : !map ? (
        <p className="empty">Loading…</p>
      ) : !map.runs ? (
        <p className="empty">No runs of this segment in this range, so there is no process map yet.</p>
      ) : (
        <>
          <p className="help" data-testid="process-map-runs">
            {map.runs} run{map.runs === 1 ? '' : 's'} · edges show how often one activity followed another and
            the median time between them
          </p>
          <section className="graph" aria-label={`Process map of segment ${segmentId}`}>
            <ReactFlow<ActivityNode, Edge>
              nodes={flow?.nodes ?? []}
              edges={flow?.edges ?? []}
              nodeTypes={nodeTypes}
              fitView
              fitViewOptions={{ maxZoom: 1.2 }}
              minZoom={0.1}
              nodesDraggable={false}
              nodesConnectable={false}
            >
              <Background />
              <Controls showInteractive={false} />
            </ReactFlow>
          </section>
          <table aria-label="Transitions">
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Count</th>
                <th scope="col">Median</th>
                <th scope="col">p95</th>
              </tr>
            </thead>
            <tbody>
              {map.edges.map((e) => (
                <tr key={`${e.source}->${e.target}`}>
                  <td>{activityName(e.source)}</td>
                  <td>{activityName(e.target)}</td>
                  <td>{e.count}</td>
                  <td>{elapsed(e.duration.p50Ms)}</td>
                  <td>{elapsed(e.duration.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
