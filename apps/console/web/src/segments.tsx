import type { Segment, StepType } from '@llmteam/client';
import { useEffect, useMemo, useState } from 'react';
import { json, lower, when } from './format.js';
import { ProcessMapPanel } from './process-map.js';
import { Link } from './router.js';
import { SegmentGraph } from './segment-graph.js';
import { asSegment } from './segment-model.js';
import { useSession } from './session.js';

/** Offers a JSON value as a file download. */
export function downloadJson(name: string, value: unknown): void {
  const url = URL.createObjectURL(
    new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Catalog({ types }: { types: StepType[] }) {
  return (
    <section aria-labelledby="catalog-heading" className="panel">
      <h2 id="catalog-heading">Step types</h2>
      <div className="cards">
        {types.map((t) => (
          <article className="card" key={t.type} aria-label={t.displayName}>
            <h3 style={{ marginTop: 0 }}>{t.displayName}</h3>
            <p className="help">
              <span className="mono">{t.type}</span> · {lower(t.category)}
            </p>
            {t.description ? <p>{t.description}</p> : null}
            <p className="help">
              in: {t.inputs.map((p) => p.portId).join(', ') || '—'} · out:{' '}
              {t.outputs.map((p) => p.portId).join(', ') || '—'}
              {t.dynamicPorts ? ' · ports declared per step' : ''}
            </p>
            <details>
              <summary>Config schema</summary>
              <pre>{json(t.configSchema)}</pre>
            </details>
          </article>
        ))}
      </div>
    </section>
  );
}

function SegmentView({ id }: { id: string }) {
  const { client, canOperate } = useSession();
  const [segment, setSegment] = useState<Segment | null>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    client
      .segment(id)
      .then(setSegment)
      .catch((cause) => setError((cause as Error).message));
  }, [client, id]);
  const definition = useMemo(() => (segment ? asSegment(segment.definition) : undefined), [segment]);
  if (error) return <p className="error">{error}</p>;
  if (segment === undefined) return <p className="empty">Loading…</p>;
  if (!segment || !definition) return <p className="error">No segment {id}.</p>;
  return (
    <section aria-labelledby="segment-heading">
      <div className="toolbar">
        <h1 id="segment-heading">{segment.name}</h1>
        <span className="help">
          {segment.id} v{segment.version} · {when(segment.createdAt)}
        </span>
        <span className="buttons" style={{ marginLeft: 'auto', marginTop: 0 }}>
          <button
            type="button"
            onClick={() => downloadJson(`${segment.id}-${segment.version}.json`, segment.definition)}
          >
            Download JSON
          </button>
          {canOperate ? (
            <Link href={`/canvas?segment=${encodeURIComponent(segment.id)}`}>Edit on the canvas</Link>
          ) : null}
        </span>
      </div>
      {typeof definition.description === 'string' ? <p>{definition.description}</p> : null}
      <div className="panel">
        <SegmentGraph segment={definition} label={`Graph of segment ${segment.id}`} />
      </div>
      <ProcessMapPanel segmentId={segment.id} />
    </section>
  );
}

/** The step catalog and the tenant's segments, drawn as graphs. */
export function Segments({ path }: { path: string }) {
  const { client } = useSession();
  const [types, setTypes] = useState<StepType[]>([]);
  const [segments, setSegments] = useState<Segment[]>([]);
  const [error, setError] = useState<string>();
  const id = /^\/segments\/(.+)$/.exec(path)?.[1];
  useEffect(() => {
    if (id) return;
    Promise.all([client.stepTypes(), client.segments()])
      .then(([t, s]) => {
        setTypes(t);
        setSegments(s);
      })
      .catch((cause) => setError((cause as Error).message));
  }, [client, id]);
  if (id) return <SegmentView id={decodeURIComponent(id)} />;
  const latest = new Map<string, Segment>();
  for (const s of segments)
    if (!latest.has(s.id) || latest.get(s.id)!.createdAt < s.createdAt) latest.set(s.id, s);
  return (
    <div>
      <div className="toolbar">
        <h1>Segments</h1>
        <Link href="/canvas" style={{ marginLeft: 'auto' }}>
          New segment on the canvas
        </Link>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <section className="panel" aria-labelledby="segments-heading">
        <h2 id="segments-heading">Segments of the tenant</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Segment</th>
              <th scope="col">Name</th>
              <th scope="col">Latest version</th>
              <th scope="col">Saved</th>
            </tr>
          </thead>
          <tbody>
            {[...latest.values()].map((s) => (
              <tr key={s.id}>
                <td>
                  <Link href={`/segments/${encodeURIComponent(s.id)}`}>{s.id}</Link>
                </td>
                <td>{s.name}</td>
                <td>{s.version}</td>
                <td>{when(s.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!latest.size ? <p className="empty">No segments yet.</p> : null}
      </section>
      <Catalog types={types} />
    </div>
  );
}
