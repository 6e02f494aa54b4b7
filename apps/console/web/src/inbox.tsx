import type { InboxPage, Interaction, LlmteamClient, Viewer } from '@llmteam/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AnswerPanel, isOpen } from './answer-panel.js';
import { age, dueIn, lower } from './format.js';
import { useSession } from './session.js';
import { VirtualList } from './virtual-list.js';

const PRIORITY_RANK: Record<string, number> = { CRITICAL: 0, HIGH: 1, NORMAL: 2, LOW: 3 };

/** The instant that makes a request urgent: its SLA breach, else its deadline. */
function dueAt(i: Interaction): number {
  const at = i.slaBreachAt ?? i.deadline;
  return at ? Date.parse(at) : Number.POSITIVE_INFINITY;
}

/** True when the viewer is among the request's assignees (or it is open to any approver). */
export function assignedTo(i: Interaction, viewer: Viewer): boolean {
  if (viewer.roles.includes('ADMIN')) return true;
  return (
    i.assignees.users.includes(viewer.subject) || i.assignees.groups.some((g) => viewer.groups.includes(g))
  );
}

const ROW_HEIGHT = 72;
/** Requests fetched per page: a few screens full, within the gateway's query complexity limit. */
const PAGE = 50;

/** What a row of the list shows (and sorts by); the rest of a request is read when it is opened. */
const ROW_FIELDS =
  'id runId stepId type status priority title escalationLevel deadline slaBreachAt createdAt assignees { users groups }';
const INBOX_ROWS = `query ConsoleInbox($first: Int, $after: String, $assignee: String) { inbox(first: $first, after: $after, assignee: $assignee) { items { ${ROW_FIELDS} } endCursor hasMore } }`;
/** Rows read with {@link ROW_FIELDS} only: opening one reads the whole request. */
const rowsOnly = new WeakSet<Interaction>();

/** A page of the inbox with the row fields only, so a page stays small (and within the complexity limit). */
async function inboxRows(
  client: LlmteamClient,
  args: { first: number; after?: string; assignee?: string },
): Promise<InboxPage> {
  const { inbox } = await client.request<{ inbox: InboxPage }>(INBOX_ROWS, args);
  for (const item of inbox.items) rowsOnly.add(item);
  return inbox;
}

/** The inbox's order: earliest SLA breach (or deadline) first, then priority, then the oldest. */
function compare(a: Interaction, b: Interaction): number {
  return (
    dueAt(a) - dueAt(b) ||
    (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) ||
    Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** Whom "Assigned to me" asks the gateway about: admins may answer anything, so they see it all. */
function assigneeFor(viewer: Viewer, mineOnly: boolean): string | undefined {
  return mineOnly && !viewer.roles.includes('ADMIN') ? viewer.subject : undefined;
}

/**
 * Requests waiting for people, live, answered in place. The gateway sends them a page at a
 * time in SLA order (from its due index), the next page when the reader scrolls near the end;
 * the count of open requests is asked for alongside and shown when it comes.
 */
export function Inbox() {
  const session = useSession();
  const [byId, setById] = useState<Map<string, Interaction>>(new Map());
  const [selected, setSelected] = useState<string>();
  const [mineOnly, setMineOnly] = useState(session.canAnswer);
  const [error, setError] = useState<string>();
  const [loaded, setLoaded] = useState(false);
  const [live, setLive] = useState(false);
  const [count, setCount] = useState<number>();
  const [next, setNext] = useState<string | null>(null);
  const more = useRef<Promise<void> | null>(null);
  // Which load is current: a page of an older filter is dropped.
  const generation = useRef(0);
  const assignee = assigneeFor(session.viewer, mineOnly);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    // The count comes on its own: the first page shows as soon as it arrives.
    const counted = session.client
      .openInteractionCount(assignee ? { assignee } : {})
      .then((open) => {
        if (mine === generation.current) setCount(open);
      })
      .catch((cause) => {
        if (mine === generation.current) setError((cause as Error).message);
      });
    try {
      const page = await inboxRows(session.client, { first: PAGE, ...(assignee ? { assignee } : {}) });
      if (mine !== generation.current) return;
      // User Timing mark: tools (and the browser tests) tell fetching from rendering with it.
      performance.mark('llmteam:inbox-data', { detail: { count: page.items.length } });
      setById((current) => {
        const map = new Map<string, Interaction>();
        // Keep requests answered in this tab visible (as answered) until the next reload.
        for (const i of current.values()) if (!isOpen(i)) map.set(i.id, i);
        for (const i of page.items) map.set(i.id, i);
        return map;
      });
      setNext(page.hasMore ? page.endCursor : null);
      setError(undefined);
      setLoaded(true);
      await counted;
    } catch (cause) {
      setError((cause as Error).message);
    } finally {
      setLoaded(true);
    }
  }, [session.client, assignee]);

  const loadMore = useCallback(() => {
    if (!next || more.current) return;
    const mine = generation.current;
    more.current = inboxRows(session.client, { first: PAGE, after: next, ...(assignee ? { assignee } : {}) })
      .then((page) => {
        if (mine !== generation.current) return;
        setById((current) => {
          const map = new Map(current);
          for (const i of page.items) map.set(i.id, i);
          return map;
        });
        setNext(page.hasMore ? page.endCursor : null);
      })
      .catch((cause) => setError((cause as Error).message))
      .finally(() => {
        more.current = null;
      });
  }, [session.client, next, assignee]);

  // The newest loaded request in order: a live one beyond it belongs to a page not loaded yet.
  const edge = useRef<Interaction | undefined>(undefined);
  const hasMore = useRef(false);
  const shown = useRef<Map<string, Interaction>>(new Map());
  hasMore.current = next !== null;

  useEffect(() => {
    void reload();
    const controller = new AbortController();
    (async () => {
      try {
        for await (const interaction of session.client.watchInteractions({
          signal: controller.signal,
          onConnected: () => setLive(true),
          onReconnect: () => {
            setLive(false);
            void reload();
          },
        })) {
          if (assignee && !assignedTo(interaction, session.viewer)) continue;
          const known = shown.current.has(interaction.id);
          if (!known && isOpen(interaction)) setCount((n) => (n ?? 0) + 1);
          // Beyond the loaded pages it is counted, and shown once its page is loaded.
          if (!known && hasMore.current && edge.current && compare(interaction, edge.current) > 0) continue;
          setById((current) => new Map(current).set(interaction.id, interaction));
        }
      } catch (cause) {
        setLive(false);
        setError(`Live updates stopped: ${(cause as Error).message}`);
      }
    })();
    return () => controller.abort();
  }, [session.client, session.viewer, reload, assignee]);

  const items = useMemo(() => [...byId.values()].sort(compare), [byId]);
  edge.current = items.at(-1);
  shown.current = byId;
  const onAnswered = useCallback((answered: Interaction) => {
    const before = shown.current.get(answered.id);
    if (before && isOpen(before) && !isOpen(answered))
      setCount((n) => (n === undefined ? n : Math.max(0, n - 1)));
    setById((map) => new Map(map).set(answered.id, answered));
  }, []);
  const current = selected ? byId.get(selected) : undefined;
  const partial = current !== undefined && rowsOnly.has(current);
  // An opened row is read whole (context, options, schema, answers) before it can be answered.
  useEffect(() => {
    if (!partial || !selected) return;
    let stale = false;
    session.client
      .interaction(selected)
      .then((full) => {
        if (!stale && full) setById((map) => new Map(map).set(full.id, full));
      })
      .catch((cause) => setError((cause as Error).message));
    return () => {
      stale = true;
    };
  }, [partial, selected, session.client]);
  const now = Date.now();

  return (
    <div className={`inbox ${current ? 'has-selection' : ''}`}>
      <section className="inbox-list" aria-labelledby="inbox-heading">
        <div className="toolbar">
          <h1 id="inbox-heading">
            Inbox{' '}
            <span className="count" data-testid="open-count">
              {count ?? '…'}
            </span>
            <span className="visually-hidden"> open</span>
          </h1>
          <span className={`live ${live ? 'on' : ''}`} role="status">
            {live ? 'Live' : 'Connecting…'}
          </span>
        </div>
        <div className="toolbar">
          <label className="field-check">
            <input type="checkbox" checked={mineOnly} onChange={(e) => setMineOnly(e.target.checked)} />
            Assigned to me
          </label>
          <button type="button" onClick={() => void reload()}>
            Refresh
          </button>
        </div>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        {loaded && !items.length ? <p className="empty">Nothing is waiting for you.</p> : null}
        <VirtualList
          label="Requests, most urgent first"
          className="requests"
          items={items}
          rowHeight={ROW_HEIGHT}
          getKey={(i) => i.id}
          onEndReached={next ? loadMore : undefined}
          renderRow={(i) => (
            <button
              type="button"
              className={`request-row ${i.id === selected ? 'selected' : ''} ${isOpen(i) ? '' : 'closed'}`}
              aria-current={i.id === selected ? 'true' : undefined}
              onClick={() => setSelected(i.id)}
            >
              <span className="row-title">
                <span className={`dot priority-${i.priority.toLowerCase()}`} aria-hidden="true" />
                {i.title}
              </span>
              <span className="row-meta">
                {lower(i.priority)} · {lower(i.type)} · {age(i.createdAt, now)} old
                {i.slaBreachAt || i.deadline
                  ? ` · due ${dueIn((i.slaBreachAt ?? i.deadline) as string, now)}`
                  : ''}
                {i.escalationLevel > 0 ? ` · escalated ×${i.escalationLevel}` : ''}
                {isOpen(i) ? '' : ' · answered'}
              </span>
            </button>
          )}
        />
      </section>
      <section className="inbox-detail" aria-label="Selected request">
        {current ? (
          <>
            <button type="button" className="back" onClick={() => setSelected(undefined)}>
              ← Back to the inbox
            </button>
            {partial ? (
              <p className="empty">Loading the request…</p>
            ) : (
              <AnswerPanel interaction={current} onAnswered={onAnswered} />
            )}
          </>
        ) : (
          <p className="empty">Pick a request to see its context and answer it.</p>
        )}
      </section>
    </div>
  );
}
