/**
 * Seeding for the scale benchmark: what the engine commits for one run that reaches a
 * human task, recorded once and written for N runs in batches with the store's `importRuns`.
 */
import {
  type Commit,
  createEngine,
  type InteractionRecord,
  MemoryStore,
  type SegmentDefinition,
  type StepStateRecord,
  type Store,
  type TimerRecord,
} from '@llmteam/core';

/** A run that waits for `alice` (SLA breach after 4 hours), then one transform step. */
export const SCALE_SEGMENT: SegmentDefinition = {
  segment_id: 'scale_wait',
  version: '1.0.0',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Approve', assignee_ref: 'alice', sla_breach: 'PT4H' },
    },
    { step_id: 'next', step_type: 'transform', config: { expression: '$' } },
  ],
  edges: [{ source_step: 'ask', source_port: 'approved', target_step: 'next' }],
};

/**
 * The engine's commits for one run up to its wait, folded into one commit that creates the
 * run in that state: the same rows (run, steps, events, interaction, timers, audit entries)
 * the engine writes in three commits, with the run's version counter at 1.
 */
export async function recordWaitingRun(): Promise<Commit> {
  const memory = new MemoryStore();
  const commits: Commit[] = [];
  const recording = new Proxy(memory, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'commit')
        return async (commit: Commit) => {
          commits.push(structuredClone(commit));
          return target.commit(commit);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const engine = createEngine({ store: recording });
  await engine.upsertSegment(SCALE_SEGMENT);
  const run = await engine.startRun({ segmentId: SCALE_SEGMENT.segment_id, input: { n: 0 } });
  const waiting = await engine.waitForRun(run.runId);
  await engine.stop();
  if (waiting.status !== 'waiting_human') throw new Error(`the template run ended ${waiting.status}`);
  const steps = new Map<string, StepStateRecord>();
  const interactions = new Map<string, InteractionRecord>();
  const timers = new Map<string, TimerRecord>();
  const folded: Commit = {
    tenantId: run.tenantId,
    runId: run.runId,
    expectedVersion: 0,
    run: { ...commits.at(-1)!.run, version: 1 },
    events: [],
    audit: [],
  };
  for (const c of commits) {
    for (const s of c.steps ?? []) steps.set(s.stepId, s);
    for (const i of c.interactions ?? []) interactions.set(i.interactionId, i);
    for (const t of c.timers?.add ?? []) timers.set(t.timerId, t);
    for (const id of [...(c.timers?.remove ?? []), ...(c.timers?.consume ?? [])]) timers.delete(id);
    folded.events!.push(...(c.events ?? []));
    folded.audit!.push(...(c.audit ?? []));
  }
  folded.steps = [...steps.values()];
  folded.interactions = [...interactions.values()];
  folded.timers = { add: [...timers.values()] };
  return folded;
}

/**
 * Makes run `n` of the template: its own run, interaction and timer ids, and an SLA breach
 * `n` seconds after the template's, so the inbox order is by `n`.
 */
export function templateFor(template: Commit): (n: number) => Commit {
  const ids = new Set<string>([template.runId]);
  for (const i of template.interactions ?? []) ids.add(i.interactionId);
  for (const t of template.timers?.add ?? []) ids.add(t.timerId);
  const breach = template.interactions?.[0]?.slaBreachAt;
  const text = JSON.stringify(template);
  const parts: Array<{ literal: string } | { id: string } | { breach: true }> = [];
  const pattern = new RegExp(
    [...ids, ...(breach ? [breach] : [])].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
    'g',
  );
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push({ literal: text.slice(last, match.index) });
    parts.push(match[0] === breach ? { breach: true } : { id: match[0] });
    last = match.index! + match[0].length;
  }
  parts.push({ literal: text.slice(last) });
  const breachMs = breach ? Date.parse(breach) : 0;
  return (n) => {
    const suffix = `x${n.toString(36)}`;
    const due = breach ? new Date(breachMs + n * 1000).toISOString() : '';
    return JSON.parse(
      parts.map((p) => ('literal' in p ? p.literal : 'id' in p ? `${p.id}${suffix}` : due)).join(''),
    ) as Commit;
  };
}

/** A store that imports many new runs in one transaction (the SQL stores' `importRuns`). */
export interface BulkStore extends Store {
  importRuns(commits: readonly Commit[]): Promise<unknown>;
}

/**
 * Writes `count` waiting runs (numbered from `from`) with `importRuns`, `batch` runs a
 * transaction: the rows `Store.commit` writes, encoded by the store's own codecs, without a
 * round trip per run.
 */
export async function seedWaitingRuns(
  store: BulkStore,
  make: (n: number) => Commit,
  from: number,
  count: number,
  batch: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const end = from + count;
  let reported = 0;
  for (let n = from; n < end; n += batch) {
    const commits: Commit[] = [];
    for (let i = n; i < Math.min(end, n + batch); i++) commits.push(make(i));
    await store.importRuns(commits);
    const done = Math.min(end, n + batch) - from;
    if (done - reported >= 50_000 || done === count) {
      reported = done;
      onProgress?.(done);
    }
  }
}
