import type { Interaction, Viewer } from '@llmteam/client';
import { useCallback, useEffect, useMemo, useState } from 'react';
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
  if (!i.assignees.users.length && !i.assignees.groups.length) return true;
  return (
    i.assignees.users.includes(viewer.subject) || i.assignees.groups.some((g) => viewer.groups.includes(g))
  );
}

const ROW_HEIGHT = 72;

/** Requests waiting for people, live, answered in place. */
export function Inbox() {
  const session = useSession();
  const [byId, setById] = useState<Map<string, Interaction>>(new Map());
  const [selected, setSelected] = useState<string>();
  const [mineOnly, setMineOnly] = useState(session.canAnswer);
  const [error, setError] = useState<string>();
  const [loaded, setLoaded] = useState(false);
  const [live, setLive] = useState(false);

  const reload = useCallback(async () => {
    try {
      const list = await session.client.interactions();
      // User Timing mark: tools (and the browser tests) tell fetching from rendering with it.
      performance.mark('llmteam:inbox-data', { detail: { count: list.length } });
      setById((current) => {
        const next = new Map<string, Interaction>();
        // Keep requests answered in this tab visible (as answered) until the next reload.
        for (const i of current.values()) if (!isOpen(i)) next.set(i.id, i);
        for (const i of list) next.set(i.id, i);
        return next;
      });
      setError(undefined);
    } catch (cause) {
      setError((cause as Error).message);
    } finally {
      setLoaded(true);
    }
  }, [session.client]);

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
          setById((current) => new Map(current).set(interaction.id, interaction));
        }
      } catch (cause) {
        setLive(false);
        setError(`Live updates stopped: ${(cause as Error).message}`);
      }
    })();
    return () => controller.abort();
  }, [session.client, reload]);

  const items = useMemo(() => {
    const all = [...byId.values()];
    const shown = mineOnly ? all.filter((i) => assignedTo(i, session.viewer)) : all;
    // Inbox order: earliest SLA breach (or deadline) first, then priority, then the oldest.
    // Sort keys computed once per request, not once per comparison: 10,000 requests sort in milliseconds.
    const keyed = shown.map((i) => ({
      i,
      due: dueAt(i),
      rank: PRIORITY_RANK[i.priority] ?? 9,
      created: Date.parse(i.createdAt),
    }));
    keyed.sort(
      (a, b) =>
        a.due - b.due ||
        a.rank - b.rank ||
        a.created - b.created ||
        (a.i.id < b.i.id ? -1 : a.i.id > b.i.id ? 1 : 0),
    );
    return keyed.map((k) => k.i);
  }, [byId, mineOnly, session.viewer]);
  const current = selected ? byId.get(selected) : undefined;
  const openCount = items.filter(isOpen).length;
  const now = Date.now();

  return (
    <div className={`inbox ${current ? 'has-selection' : ''}`}>
      <section className="inbox-list" aria-labelledby="inbox-heading">
        <div className="toolbar">
          <h1 id="inbox-heading">
            Inbox <span className="count">{openCount}</span>
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
            <AnswerPanel
              interaction={current}
              onAnswered={(answered) => setById((map) => new Map(map).set(answered.id, answered))}
            />
          </>
        ) : (
          <p className="empty">Pick a request to see its context and answer it.</p>
        )}
      </section>
    </div>
  );
}
