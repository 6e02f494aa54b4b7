import type { Run, Segment, StepState, WorktrailEvent } from '@llmteam/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { eventSummary, lower, usageLine, when } from './format.js';
import { navigate } from './router.js';
import { JsonView, sealedOf } from './sealed.js';
import { SegmentGraph } from './segment-graph.js';
import { asSegment, type SegmentDef } from './segment-model.js';
import { useSession } from './session.js';
import { VirtualList } from './virtual-list.js';

const PAGE = 100;

/** Step state implied by an event, so the graph changes before the run is fetched again. */
const EVENT_STATE: Record<string, string> = {
  'step.started': 'RUNNING',
  'step.resumed': 'RUNNING',
  'step.completed': 'COMPLETED',
  'step.failed': 'FAILED',
  'step.retrying': 'RETRY_WAIT',
  'step.skipped': 'SKIPPED',
  'interaction.requested': 'WAITING',
};

/** The values on a step's input ports: its upstream steps' outputs along the edges (the run input at the start). */
export function inputsOf(run: Run, segment: SegmentDef, stepId: string): Record<string, unknown> | undefined {
  const incoming = segment.edges.filter((e) => e.target_step === stepId);
  if (!incoming.length) return { input: run.input };
  const byStep = new Map(run.steps.map((s) => [s.stepId, s]));
  const inputs: Record<string, unknown> = {};
  for (const edge of incoming) {
    const outputs = byStep.get(edge.source_step)?.outputs;
    const value = outputs?.[edge.source_port ?? 'output'];
    if (value !== undefined) inputs[edge.target_port ?? 'input'] = value;
  }
  return Object.keys(inputs).length ? inputs : undefined;
}

function StepDetails({ run, segment, step }: { run: Run; segment: SegmentDef; step: StepState | undefined }) {
  if (!step) return <p className="empty">Pick a step in the graph or the list.</p>;
  const def = segment.steps.find((s) => s.step_id === step.stepId);
  const sealed = sealedOf(segment, step.stepId);
  return (
    <section aria-label={`Step ${step.stepId}`}>
      <h3>
        {def?.name ?? step.stepId} <span className="help">{def?.step_type}</span>
      </h3>
      <dl className="kv">
        <dt>State</dt>
        <dd>
          <span className={`status status-${step.status.toLowerCase()}`}>{lower(step.status)}</span>
        </dd>
        <dt>Attempts</dt>
        <dd>{step.attempt}</dd>
        {step.iteration ? (
          <>
            <dt>Revision</dt>
            <dd>{step.iteration}</dd>
          </>
        ) : null}
        <dt>Started</dt>
        <dd>{when(step.startedAt) || '—'}</dd>
        <dt>Finished</dt>
        <dd>{when(step.finishedAt) || '—'}</dd>
        <dt>Tokens</dt>
        <dd data-testid="step-usage">{usageLine(step.usage)}</dd>
      </dl>
      <h4>Inputs</h4>
      <JsonView value={inputsOf(run, segment, step.stepId)} sealed={sealed.map((p) => `*.${p}`)} />
      <h4>Outputs</h4>
      <JsonView value={step.outputs ?? undefined} sealed={sealed.map((p) => `*.${p}`)} />
      {step.error ? (
        <>
          <h4>Error</h4>
          <pre className="error">
            {step.error.code}: {step.error.message}
            {step.error.retryable === false ? '\n(not retryable)' : ''}
          </pre>
        </>
      ) : null}
      {sealed.length ? <p className="help">Sealed (never shown): {sealed.join(', ')}</p> : null}
    </section>
  );
}

/** One run: its segment as a live graph, the event timeline, steps, snapshots and controls. */
export function RunPage({ runId }: { runId: string }) {
  const session = useSession();
  const { client } = session;
  const [run, setRun] = useState<Run | null>();
  const [segment, setSegment] = useState<Segment | null>(null);
  const [events, setEvents] = useState<WorktrailEvent[]>([]);
  const [live, setLive] = useState<Map<string, string>>(new Map());
  const [selected, setSelected] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const refetch = useRef<ReturnType<typeof setTimeout>>(undefined);

  const load = useCallback(async () => {
    try {
      const fresh = await client.run(runId);
      setRun(fresh);
      if (fresh) setLive(new Map());
    } catch (cause) {
      setError((cause as Error).message);
    }
  }, [client, runId]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    if (!run) return;
    if (segment?.id === run.segmentId && segment.version === run.segmentVersion) return;
    client
      .segment(run.segmentId, run.segmentVersion)
      .then((loaded) => {
        // User Timing mark: the run and its segment are here; what follows is layout and rendering.
        performance.mark('llmteam:run-data', { detail: { steps: run.steps.length } });
        setSegment(loaded);
      })
      .catch((cause) => setError((cause as Error).message));
  }, [client, run, segment]);

  // Stored events first (pages of PAGE, what the complexity limit allows), then live ones from where they end.
  useEffect(() => {
    const controller = new AbortController();
    setEvents([]);
    (async () => {
      let afterSeq = 0;
      for (;;) {
        const page = await client.runEvents(runId, { afterSeq, limit: PAGE });
        if (controller.signal.aborted) return;
        if (!page.length) break;
        setEvents((list) => [...list, ...page]);
        afterSeq = page[page.length - 1].seq;
        if (page.length < PAGE) break;
      }
      for await (const event of client.watchRun(runId, {
        afterSeq,
        untilTerminal: false,
        signal: controller.signal,
      })) {
        setEvents((list) =>
          list.length && list[list.length - 1].seq >= event.seq ? list : [...list, event],
        );
        const state = event.stepId ? EVENT_STATE[event.type] : undefined;
        if (state) setLive((map) => new Map(map).set(event.stepId as string, state));
        clearTimeout(refetch.current);
        refetch.current = setTimeout(() => void load(), 150);
      }
    })().catch((cause) => {
      if (!controller.signal.aborted) setError(`Live events stopped: ${(cause as Error).message}`);
    });
    return () => {
      controller.abort();
      clearTimeout(refetch.current);
    };
  }, [client, runId, load]);

  const definition = useMemo(() => (segment ? asSegment(segment.definition) : undefined), [segment]);
  const states = useMemo(() => {
    const map = new Map<string, string>((run?.steps ?? []).map((s) => [s.stepId, s.status]));
    for (const [id, state] of live) map.set(id, state);
    return map;
  }, [run, live]);

  async function act(action: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      await load();
    } catch (cause) {
      setError((cause as Error).message);
    } finally {
      setBusy(false);
    }
  }

  if (run === undefined) return <p className="empty">Loading the run…</p>;
  if (run === null) return <p className="error">No run {runId} in this tenant.</p>;
  const terminal = ['COMPLETED', 'FAILED', 'CANCELLED'].includes(run.status);
  const steps = [...run.steps].sort(
    (a, b) => (a.startedAt ?? '9').localeCompare(b.startedAt ?? '9') || a.stepId.localeCompare(b.stepId),
  );

  return (
    <div>
      <div className="toolbar">
        <h1>
          Run <span className="mono">{run.id}</span>
        </h1>
        <span className={`status status-${run.status.toLowerCase()}`} data-testid="run-status">
          {lower(run.status)}
        </span>
        <span className="help">
          {run.segmentId} v{run.segmentVersion} · started {when(run.createdAt)}
        </span>
        {session.canOperate ? (
          <span className="buttons" style={{ marginLeft: 'auto', marginTop: 0 }}>
            {run.status === 'PAUSED' ? (
              <button type="button" disabled={busy} onClick={() => act(() => client.resumeRun(run.id))}>
                Resume
              </button>
            ) : (
              <button
                type="button"
                disabled={busy || terminal}
                onClick={() => act(() => client.pauseRun(run.id))}
              >
                Pause
              </button>
            )}
            <button
              type="button"
              className="danger"
              disabled={busy || terminal}
              onClick={() => {
                if (window.confirm(`Cancel run ${run.id}?`)) void act(() => client.cancelRun(run.id));
              }}
            >
              Cancel run
            </button>
          </span>
        ) : null}
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="run-layout">
        <div>
          <div className="panel">
            {definition ? (
              <SegmentGraph
                segment={definition}
                states={states}
                selected={selected}
                onSelect={setSelected}
                label={`Graph of segment ${run.segmentId}, steps coloured by state`}
              />
            ) : (
              <p className="empty">Loading the segment…</p>
            )}
            <p className="legend" aria-hidden="true">
              <span className="status status-completed">■ completed</span>
              <span className="status status-running">■ running</span>
              <span className="status status-waiting">■ waiting</span>
              <span className="status status-failed">■ failed</span>
              <span>▭ pending</span>
            </p>
          </div>
          <div className="panel">
            <h2>
              Timeline <span className="count">{events.length} events</span>
            </h2>
            <VirtualList
              label="Events of the run"
              className="timeline"
              follow
              items={events}
              rowHeight={30}
              getKey={(e) => String(e.seq)}
              renderRow={(e) => (
                <div className="event-row">
                  <span className="help">#{e.seq}</span>
                  <time className="at help" dateTime={e.timestamp}>
                    {new Date(e.timestamp).toLocaleTimeString()}
                  </time>
                  <span>
                    <span className="type">{e.type}</span>
                    {e.stepId ? ` · ${e.stepId}` : ''}
                    {eventSummary(e) ? <span className="help"> {eventSummary(e)}</span> : null}
                  </span>
                </div>
              )}
            />
          </div>
        </div>
        <div>
          <div className="panel">
            <h2>Steps</h2>
            <VirtualList
              label="Steps of the run"
              className="steps-list"
              items={steps}
              rowHeight={40}
              getKey={(s) => s.stepId}
              renderRow={(s) => (
                <button
                  type="button"
                  className={`step-row ${s.stepId === selected ? 'selected' : ''}`}
                  aria-pressed={s.stepId === selected}
                  onClick={() => setSelected(s.stepId)}
                >
                  <span>{s.stepId}</span>
                  <span className={`status status-${(states.get(s.stepId) ?? s.status).toLowerCase()}`}>
                    {lower(states.get(s.stepId) ?? s.status)}
                  </span>
                </button>
              )}
            />
            {definition ? (
              <StepDetails
                run={run}
                segment={definition}
                step={run.steps.find((s) => s.stepId === selected)}
              />
            ) : null}
          </div>
          <div className="panel">
            <h2>Run</h2>
            <dl className="kv">
              <dt>Input</dt>
              <dd>
                <JsonView value={run.input} sealed={definition ? sealedOf(definition) : []} />
              </dd>
              {run.outputs ? (
                <>
                  <dt>Outputs</dt>
                  <dd>
                    <JsonView
                      value={run.outputs}
                      sealed={(definition ? sealedOf(definition) : []).flatMap((p) => [`*.${p}`, `*.*.${p}`])}
                    />
                  </dd>
                </>
              ) : null}
              {run.error ? (
                <>
                  <dt>Error</dt>
                  <dd className="error">
                    {run.error.code}: {run.error.message}
                  </dd>
                </>
              ) : null}
              <dt>Tokens</dt>
              <dd data-testid="run-usage">{usageLine(run.usage)}</dd>
              {run.waitingOn.interactions.length ? (
                <>
                  <dt>Waiting on</dt>
                  <dd>
                    {run.waitingOn.interactions.map((i) => (
                      <div key={i.id}>
                        {i.title} (
                        {[...i.assignees.users, ...i.assignees.groups].join(', ') || 'any approver'})
                      </div>
                    ))}
                  </dd>
                </>
              ) : null}
            </dl>
          </div>
          <div className="panel">
            <h2>Snapshots</h2>
            {session.canOperate ? (
              <button type="button" disabled={busy} onClick={() => act(() => client.createSnapshot(run.id))}>
                Take a snapshot
              </button>
            ) : null}
            <ul>
              {run.snapshots.map((s) => (
                <li key={s.id}>
                  #{s.seq} {lower(s.reason)} · {when(s.createdAt)}{' '}
                  <span className="help mono" title={s.checksum}>
                    sha256 {s.checksum.slice(0, 12)}…
                  </span>
                  {session.canOperate ? (
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() =>
                        act(async () => {
                          const fork = await client.forkRun(s.id);
                          navigate(`/runs/${encodeURIComponent(fork.id)}`);
                        })
                      }
                    >
                      Fork
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
            {!run.snapshots.length ? <p className="help">No snapshots yet.</p> : null}
          </div>
        </div>
      </div>
    </div>
  );
}
