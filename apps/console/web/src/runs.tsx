import type { RunStatus, RunSummary } from '@llmteam/client';
import { useEffect, useState } from 'react';
import { age, lower, when } from './format.js';
import { Link } from './router.js';
import { useSession } from './session.js';

const STATUSES: RunStatus[] = [
  'PENDING',
  'RUNNING',
  'WAITING_HUMAN',
  'WAITING_ACTION',
  'PAUSED',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
];
const PAGE = 25;

/**
 * Runs of the tenant, newest first, filtered by status, segment, whom they wait on and start
 * time, a page at a time.
 */
export function Runs() {
  const { client } = useSession();
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [segmentId, setSegmentId] = useState('');
  const [since, setSince] = useState('');
  const [waitingText, setWaitingText] = useState('');
  const [waitingOn, setWaitingOn] = useState('');
  const [segments, setSegments] = useState<string[]>([]);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState(0);
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [hasNext, setHasNext] = useState(false);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    client
      .segments()
      .then((list) => setSegments([...new Set(list.map((s) => s.id))].sort()))
      .catch(() => undefined);
  }, [client]);

  // Typing a name asks the gateway once the typing pauses, not at every key.
  useEffect(() => {
    const timer = setTimeout(() => setWaitingOn(waitingText.trim()), 250);
    return () => clearTimeout(timer);
  }, [waitingText]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts again at the first page
  useEffect(() => {
    setCursors([undefined]);
    setPage(0);
  }, [status, segmentId, waitingOn]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    client
      .runs({
        first: PAGE,
        ...(status ? { status } : {}),
        ...(segmentId ? { segmentId } : {}),
        ...(waitingOn ? { waitingOn } : {}),
        ...(cursors[page] ? { after: cursors[page] } : {}),
      })
      .then((connection) => {
        if (!live) return;
        setRuns(connection.edges.map((e) => e.node));
        setHasNext(connection.pageInfo.hasNextPage);
        setNextCursor(connection.pageInfo.endCursor);
        setError(undefined);
      })
      .catch((cause) => live && setError((cause as Error).message))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [client, status, segmentId, waitingOn, cursors, page]);

  const sinceMs = since ? Date.parse(since) : undefined;
  // Runs come newest first, so a start-time filter ends the list where older runs begin.
  const shown = sinceMs ? runs.filter((r) => Date.parse(r.createdAt) >= sinceMs) : runs;

  return (
    <section aria-labelledby="runs-heading">
      <div className="toolbar">
        <h1 id="runs-heading">Runs</h1>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <div className="field">
          <label htmlFor="run-status">Status</label>
          <select
            id="run-status"
            value={status}
            onChange={(e) => setStatus(e.target.value as RunStatus | '')}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {lower(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="run-segment">Segment</label>
          <select id="run-segment" value={segmentId} onChange={(e) => setSegmentId(e.target.value)}>
            <option value="">Any</option>
            {segments.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="run-waiting">Waiting on</label>
          <input
            id="run-waiting"
            type="search"
            placeholder="user or group:name"
            aria-describedby="run-waiting-help"
            value={waitingText}
            onChange={(e) => setWaitingText(e.target.value)}
          />
          <span id="run-waiting-help" className="visually-hidden">
            Runs with an open request this user or group may answer, the most urgent first
          </span>
        </div>
        <div className="field">
          <label htmlFor="run-since">Started after</label>
          <input
            id="run-since"
            type="datetime-local"
            value={since}
            onChange={(e) => setSince(e.target.value)}
          />
        </div>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <table aria-busy={loading}>
        <caption className="visually-hidden">Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Segment</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((run) => (
            <tr key={run.id}>
              <td>
                <Link href={`/runs/${encodeURIComponent(run.id)}`}>{run.id}</Link>
              </td>
              <td>
                {run.segmentId} <span className="help">v{run.segmentVersion}</span>
              </td>
              <td>
                <span className={`status status-${run.status.toLowerCase()}`}>{lower(run.status)}</span>
              </td>
              <td>
                <time dateTime={run.createdAt} title={when(run.createdAt)}>
                  {age(run.createdAt)} ago
                </time>
              </td>
              <td>
                <time dateTime={run.updatedAt}>{when(run.updatedAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && !shown.length ? <p className="empty">No runs match.</p> : null}
      <nav className="buttons" aria-label="Pages">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
          ← Newer
        </button>
        <span className="help">Page {page + 1}</span>
        <button
          type="button"
          disabled={!hasNext || (sinceMs !== undefined && shown.length < runs.length)}
          onClick={() => {
            setCursors((c) => [...c.slice(0, page + 1), nextCursor ?? undefined]);
            setPage(page + 1);
          }}
        >
          Older →
        </button>
      </nav>
    </section>
  );
}
