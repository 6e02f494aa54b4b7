import { isLlmteamClientError, type StepType } from '@llmteam/client';
import {
  addEdge,
  applyNodeChanges,
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  type NodeChange,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from '@xyflow/react';
import { type ChangeEvent, type DragEvent, useEffect, useMemo, useRef, useState } from 'react';
import { type CanvasProblem, checkSegment } from './canvas-checks.js';
import { CanvasInspector } from './canvas-inspector.js';
import { CanvasPalette } from './canvas-palette.js';
import { navigate } from './router.js';
import { layoutSegment, nodeSize, nodeTypes, type StepNode, toFlow } from './segment-graph.js';
import { asSegment, type EdgeDef, type SegmentDef, type StepDef, stepOfProblem } from './segment-model.js';
import { downloadJson } from './segments.js';
import { useSession } from './session.js';

const EMPTY: SegmentDef = {
  segment_id: 'new_segment',
  name: 'New segment',
  version: '1.0.0',
  steps: [],
  edges: [],
};

function bumpVersion(version: string | undefined): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version ?? '');
  return m ? `${m[1]}.${Number(m[2]) + 1}.0` : '1.0.0';
}

function typePortsOf(types: Map<string, StepType>) {
  return (stepType: string) => {
    const t = types.get(stepType);
    return t ? { inputs: t.inputs.map((p) => p.portId), outputs: t.outputs.map((p) => p.portId) } : undefined;
  };
}

function Editor({ initial, types }: { initial: SegmentDef; types: StepType[] }) {
  const { client } = useSession();
  const flow = useReactFlow();
  const typeMap = useMemo(() => new Map(types.map((t) => [t.type, t])), [types]);
  const [segment, setSegment] = useState<SegmentDef>(initial);
  const [positions, setPositions] = useState<Map<string, { x: number; y: number }>>(new Map());
  // Sizes React Flow measured; a controlled node without them stays hidden.
  const [measured, setMeasured] = useState<Map<string, { width: number; height: number }>>(new Map());
  const [selected, setSelected] = useState<string>();
  const [serverProblems, setServerProblems] = useState<CanvasProblem[]>([]);
  const [message, setMessage] = useState<string>();
  const [saving, setSaving] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    layoutSegment(initial, (id) => nodeSize(initial, id)).then(setPositions);
  }, [initial]);

  const problems = useMemo(
    () => [...checkSegment(segment, typeMap), ...serverProblems],
    [segment, typeMap, serverProblems],
  );
  const problemByStep = useMemo(() => {
    const map = new Map<string, string>();
    for (const p of problems) {
      const id = p.stepId ?? stepOfProblem(p.path, segment);
      if (id && !map.has(id)) map.set(id, p.message);
    }
    return map;
  }, [problems, segment]);
  const { nodes, edges } = useMemo(() => {
    const flow = toFlow(segment, {
      positions,
      problems: problemByStep,
      selected,
      typePorts: typePortsOf(typeMap),
    });
    return { nodes: flow.nodes.map((n) => ({ ...n, measured: measured.get(n.id) })), edges: flow.edges };
  }, [segment, positions, problemByStep, selected, typeMap, measured]);

  const update = (next: SegmentDef) => {
    setSegment(next);
    setServerProblems([]);
    setMessage(undefined);
  };
  const addStep = (type: StepType, position?: { x: number; y: number }) => {
    let n = 1;
    while (segment.steps.some((s) => s.step_id === `${type.type}_${n}`)) n++;
    const stepId = `${type.type}_${n}`;
    const step: StepDef = {
      step_id: stepId,
      step_type: type.type,
      name: `${type.displayName} ${n}`,
      config: {},
    };
    setPositions((p) =>
      new Map(p).set(
        stepId,
        position ?? {
          x: 40 + (segment.steps.length % 4) * 240,
          y: 40 + Math.floor(segment.steps.length / 4) * 140,
        },
      ),
    );
    update({ ...segment, steps: [...segment.steps, step] });
    setSelected(stepId);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const type = typeMap.get(event.dataTransfer.getData('application/x-llmteam-step-type'));
    if (type) addStep(type, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };
  const onNodesChange = (changes: NodeChange<StepNode>[]) => {
    const sized = changes.filter((c) => c.type === 'dimensions' && c.dimensions);
    if (sized.length)
      setMeasured((map) => {
        const next = new Map(map);
        for (const c of sized) if (c.type === 'dimensions' && c.dimensions) next.set(c.id, c.dimensions);
        return next;
      });
    const moved = applyNodeChanges(changes, nodes);
    setPositions(new Map(moved.map((n) => [n.id, n.position])));
    const removed = changes.filter((c) => c.type === 'remove').map((c) => c.id);
    if (removed.length)
      update({
        ...segment,
        steps: segment.steps.filter((s) => !removed.includes(s.step_id)),
        edges: segment.edges.filter(
          (e) => !removed.includes(e.source_step) && !removed.includes(e.target_step),
        ),
      });
  };
  const onEdgesChange = (changes: EdgeChange<Edge>[]) => {
    const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
    if (removed.size) {
      const keep = edges.map((e) => !removed.has(e.id));
      update({ ...segment, edges: segment.edges.filter((_e, i) => keep[i]) });
    }
  };
  const onConnect = (connection: Connection) => {
    addEdge(connection, edges);
    const edge: EdgeDef = {
      source_step: connection.source,
      source_port: connection.sourceHandle ?? 'output',
      target_step: connection.target,
      target_port: connection.targetHandle ?? 'input',
    };
    update({ ...segment, edges: [...segment.edges, edge] });
  };

  const step = segment.steps.find((s) => s.step_id === selected);
  const stepType = step ? typeMap.get(step.step_type) : undefined;
  const setStep = (next: StepDef) => {
    const renamed = step && next.step_id !== step.step_id;
    update({
      ...segment,
      steps: segment.steps.map((s) => (s.step_id === step?.step_id ? next : s)),
      edges: renamed
        ? segment.edges.map((e) => ({
            ...e,
            source_step: e.source_step === step.step_id ? next.step_id : e.source_step,
            target_step: e.target_step === step.step_id ? next.step_id : e.target_step,
          }))
        : segment.edges,
    });
    if (renamed) {
      setPositions((p) => new Map(p).set(next.step_id, p.get(step.step_id) ?? { x: 0, y: 0 }));
      setSelected(next.step_id);
    }
  };
  async function save() {
    setSaving(true);
    setMessage(undefined);
    try {
      const saved = await client.upsertSegment(segment);
      setMessage(`Saved ${saved.id} version ${saved.version}.`);
      setServerProblems([]);
      update({ ...segment, version: bumpVersion(saved.version) });
      setMessage(
        `Saved ${saved.id} version ${saved.version}. The next save becomes ${bumpVersion(saved.version)}.`,
      );
    } catch (cause) {
      if (isLlmteamClientError(cause) && cause.problems?.length) {
        setServerProblems(cause.problems.map((p) => ({ path: p.path, message: p.message })));
        setMessage(`The gateway refused the segment: ${cause.problems.length} problem(s).`);
      } else setMessage((cause as Error).message);
    } finally {
      setSaving(false);
    }
  }
  const upload = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    try {
      const loaded = asSegment(JSON.parse(await file.text()));
      setPositions(await layoutSegment(loaded, (id) => nodeSize(loaded, id)));
      update(loaded);
      setSelected(undefined);
    } catch (cause) {
      setMessage(`${file.name} is not a segment JSON file: ${(cause as Error).message}`);
    }
    event.target.value = '';
  };

  return (
    <div className="canvas">
      <CanvasPalette types={types} onAdd={(t) => addStep(t)} />
      <section className="panel" aria-label="Canvas" style={{ display: 'flex', flexDirection: 'column' }}>
        <div className="toolbar">
          <div className="field" style={{ margin: 0 }}>
            <label htmlFor="seg-id">Segment id</label>
            <input
              id="seg-id"
              type="text"
              value={segment.segment_id}
              onChange={(e) => update({ ...segment, segment_id: e.target.value })}
            />
          </div>
          <div className="field" style={{ margin: 0 }}>
            <label htmlFor="seg-name">Name</label>
            <input
              id="seg-name"
              type="text"
              value={segment.name ?? ''}
              onChange={(e) => update({ ...segment, name: e.target.value })}
            />
          </div>
          <div className="field" style={{ margin: 0, maxWidth: '7rem' }}>
            <label htmlFor="seg-version">Version</label>
            <input
              id="seg-version"
              type="text"
              value={segment.version ?? ''}
              onChange={(e) => update({ ...segment, version: e.target.value })}
            />
          </div>
          <span className="buttons" style={{ marginTop: 0 }}>
            <button type="button" className="primary" disabled={saving} onClick={save}>
              Save as new version
            </button>
            <button
              type="button"
              onClick={() => downloadJson(`${segment.segment_id || 'segment'}.json`, segment)}
            >
              Download JSON
            </button>
            <button type="button" onClick={() => fileInput.current?.click()}>
              Upload JSON
            </button>
            <input
              ref={fileInput}
              type="file"
              accept="application/json,.json"
              hidden
              aria-label="Segment JSON file"
              onChange={upload}
            />
          </span>
        </div>
        {message ? <p role="status">{message}</p> : null}
        {/* biome-ignore lint/a11y/noStaticElementInteractions: a pointer drop target; the palette buttons add steps from the keyboard */}
        <div className="graph" style={{ flex: 1 }} onDrop={onDrop} onDragOver={(e) => e.preventDefault()}>
          <ReactFlow<StepNode, Edge>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onNodeClick={(_e, node) => setSelected(node.id)}
            onPaneClick={() => setSelected(undefined)}
            deleteKeyCode={['Backspace', 'Delete']}
            fitViewOptions={{ maxZoom: 1 }}
            fitView
          >
            <Background />
            <Controls />
          </ReactFlow>
        </div>
      </section>
      <CanvasInspector
        step={step}
        stepType={stepType}
        problems={problems}
        setStep={setStep}
        onDelete={(stepId) => {
          update({
            ...segment,
            steps: segment.steps.filter((s) => s.step_id !== stepId),
            edges: segment.edges.filter((e) => e.source_step !== stepId && e.target_step !== stepId),
          });
          setSelected(undefined);
        }}
      />
    </div>
  );
}

/** The canvas editor: draw a segment from the step catalog, fill configs, save as a new version. */
export function Canvas({ path }: { path: string }) {
  const { client, canOperate } = useSession();
  const [types, setTypes] = useState<StepType[]>();
  const [initial, setInitial] = useState<SegmentDef>();
  const [error, setError] = useState<string>();
  const segmentId = new URLSearchParams(path.split('?')[1] ?? '').get('segment');
  useEffect(() => {
    Promise.all([client.stepTypes(), segmentId ? client.segment(segmentId) : Promise.resolve(null)])
      .then(([t, s]) => {
        setTypes(t);
        if (s) {
          const def = asSegment(s.definition);
          setInitial({ ...def, version: bumpVersion(s.version) });
        } else setInitial(EMPTY);
      })
      .catch((cause) => setError((cause as Error).message));
  }, [client, segmentId]);
  if (error) return <p className="error">{error}</p>;
  if (!canOperate)
    return (
      <p className="help">
        Saving segments needs an operator or admin key;{' '}
        <a
          href="/segments"
          onClick={(e) => {
            e.preventDefault();
            navigate('/segments');
          }}
        >
          browse them
        </a>{' '}
        instead.
      </p>
    );
  if (!types || !initial) return <p className="empty">Loading the catalog…</p>;
  return (
    <ReactFlowProvider>
      <Editor initial={initial} types={types} />
    </ReactFlowProvider>
  );
}
