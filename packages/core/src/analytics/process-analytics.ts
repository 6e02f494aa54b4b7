/**
 * Process analytics over a segment's runs: the directly-follows map (which step follows
 * which, how often, how long in between) and the metrics operators ask for (throughput
 * time, waiting time at human steps, rework loops, SLA breaches). Both read the same
 * interpreted log as the exports, one run at a time.
 */

import { type ProcessEvent, type ProcessLogQuery, readProcessLog } from '../export/process-log.js';
import { type RunStatus, type Store, TERMINAL_RUN_STATUSES } from '../store/types.js';
import { type DurationStats, durationStats } from './duration-stats.js';
import type { ProcessMap, ProcessMapNode } from './process-map-types.js';

/** The pseudo-activity every run starts from in a {@link ProcessMap}. */
export const PROCESS_START = '__start__';
/** The pseudo-activity every run ends in. */
export const PROCESS_END = '__end__';

export type { ProcessMap, ProcessMapEdge, ProcessMapNode } from './process-map-types.js';

/** Waiting time at one human step. */
export interface HumanStepWaiting {
  stepId: string;
  waiting: DurationStats;
}

/** Rework loops of one review step: how often it sent work back. */
export interface ReworkLoops {
  /** The step whose answer sent work back (a review). */
  stepId: string;
  /** Runs in which the step ran. */
  runs: number;
  /** Runs in which it sent work back at least once. */
  runsWithRework: number;
  loops: number;
  meanLoopsPerRun: number;
  maxLoopsPerRun: number;
}

/** SLA figures of one human step. */
export interface SlaBreaches {
  stepId: string;
  requests: number;
  warnings: number;
  breaches: number;
  /** `breaches / requests` (0 when there were no requests). */
  breachRate: number;
}

/** Metrics of a segment's runs. */
export interface ProcessMetrics {
  segmentId: string;
  runs: number;
  byStatus: Array<{ status: RunStatus; count: number }>;
  /** Creation to completion of the runs that ended. */
  throughput: DurationStats;
  waitingByHumanStep: HumanStepWaiting[];
  reworkByReview: ReworkLoops[];
  slaByStep: SlaBreaches[];
  /** Breaches over requests across all human steps. */
  slaBreachRate: number;
}

interface Instance {
  activity: string;
  start: number;
  end: number;
}

class Samples {
  readonly values: number[] = [];
  count = 0;
  failed = 0;
  stepType?: string;
}

/** Gathers map and metrics in one pass over the log. */
class ProcessAnalyzer {
  runs = 0;
  readonly nodes = new Map<string, Samples>();
  readonly edges = new Map<string, { source: string; target: string; values: number[] }>();
  readonly status = new Map<RunStatus, number>();
  readonly throughput: number[] = [];
  readonly waiting = new Map<string, number[]>();
  readonly rework = new Map<string, { runs: number; runsWithRework: number; loops: number; max: number }>();
  readonly sla = new Map<string, { requests: number; warnings: number; breaches: number }>();

  private node(activity: string): Samples {
    let n = this.nodes.get(activity);
    if (!n) {
      n = new Samples();
      this.nodes.set(activity, n);
    }
    return n;
  }

  private edge(source: string, target: string, ms: number): void {
    const key = `${source}\u0000${target}`;
    let e = this.edges.get(key);
    if (!e) {
      e = { source, target, values: [] };
      this.edges.set(key, e);
    }
    e.values.push(ms);
  }

  private slaOf(stepId: string) {
    let s = this.sla.get(stepId);
    if (!s) {
      s = { requests: 0, warnings: 0, breaches: 0 };
      this.sla.set(stepId, s);
    }
    return s;
  }

  async addTrace(
    run: { status: RunStatus; createdAt: string; completedAt?: string },
    events: AsyncIterable<ProcessEvent>,
  ) {
    this.runs++;
    this.status.set(run.status, (this.status.get(run.status) ?? 0) + 1);
    if (run.completedAt)
      this.throughput.push(Math.max(0, Date.parse(run.completedAt) - Date.parse(run.createdAt)));

    const open = new Map<string, number>();
    const instances: Instance[] = [];
    const human = new Set<string>();
    const reviews = new Set<string>();
    const loops = new Map<string, number>();
    for await (const e of events) {
      const at = Date.parse(e.timestamp);
      const stepId = e.stepId;
      if (stepId !== undefined && e.stepType !== undefined) this.node(stepId).stepType ??= e.stepType;
      switch (e.lifecycle) {
        case 'start':
          if (stepId === undefined) break;
          open.set(stepId, at);
          if (e.role === 'person') human.add(stepId);
          break;
        case 'complete':
        case 'ate_abort':
        case 'pi_abort': {
          if (stepId === undefined) break;
          const start = open.get(stepId) ?? at;
          open.delete(stepId);
          instances.push({ activity: stepId, start, end: at });
          const n = this.node(stepId);
          n.count++;
          n.values.push(Math.max(0, at - start));
          if (e.lifecycle !== 'complete') n.failed++;
          const waited = e.attributes.waiting_ms;
          if (human.has(stepId) && typeof waited === 'number') {
            let w = this.waiting.get(stepId);
            if (!w) {
              w = [];
              this.waiting.set(stepId, w);
            }
            w.push(waited);
          }
          break;
        }
      }
      if (stepId === undefined) continue;
      if (e.type === 'step.revision') {
        const from = e.attributes.from_step;
        if (typeof from === 'string') loops.set(from, (loops.get(from) ?? 0) + 1);
      } else if (e.type === 'interaction.requested') {
        this.slaOf(stepId).requests++;
        if (e.attributes.interaction_type === 'review') reviews.add(stepId);
      } else if (e.type === 'interaction.sla_warning') this.slaOf(stepId).warnings++;
      else if (e.type === 'interaction.sla_breached') this.slaOf(stepId).breaches++;
    }

    // Attempts still open (the run waits or runs) follow in the map, without a duration.
    for (const [activity, start] of open) {
      instances.push({ activity, start, end: start });
      this.node(activity).count++;
    }
    // Directly-follows: attempts in the order they started, between a start and an end.
    instances.sort((a, b) => a.start - b.start || a.end - b.end);
    let previous: Instance | undefined;
    for (const i of instances) {
      if (previous) this.edge(previous.activity, i.activity, Math.max(0, i.start - previous.end));
      else this.edge(PROCESS_START, i.activity, 0);
      previous = i;
    }
    if (previous && TERMINAL_RUN_STATUSES.includes(run.status)) this.edge(previous.activity, PROCESS_END, 0);

    for (const stepId of new Set([...reviews, ...loops.keys()])) {
      const count = loops.get(stepId) ?? 0;
      let r = this.rework.get(stepId);
      if (!r) {
        r = { runs: 0, runsWithRework: 0, loops: 0, max: 0 };
        this.rework.set(stepId, r);
      }
      r.runs++;
      if (count > 0) r.runsWithRework++;
      r.loops += count;
      r.max = Math.max(r.max, count);
    }
  }

  map(segmentId: string): ProcessMap {
    const nodes: ProcessMapNode[] = [];
    const boundary = (activity: string): ProcessMapNode => ({
      activity,
      count: this.runs,
      failed: 0,
      duration: durationStats([]),
    });
    if (this.runs) nodes.push(boundary(PROCESS_START));
    for (const [activity, n] of [...this.nodes].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (n.count === 0) continue;
      nodes.push({
        activity,
        ...(n.stepType ? { stepType: n.stepType } : {}),
        count: n.count,
        failed: n.failed,
        duration: durationStats(n.values),
      });
    }
    const ended = [...this.status].reduce(
      (n, [st, c]) => n + (TERMINAL_RUN_STATUSES.includes(st) ? c : 0),
      0,
    );
    if (this.runs) nodes.push({ ...boundary(PROCESS_END), count: ended });
    const edges = [...this.edges.values()]
      .map((e) => ({
        source: e.source,
        target: e.target,
        count: e.values.length,
        duration: durationStats(e.values),
      }))
      .sort((a, b) => b.count - a.count || (a.source + a.target < b.source + b.target ? -1 : 1));
    return { segmentId, runs: this.runs, nodes, edges };
  }

  metrics(segmentId: string): ProcessMetrics {
    const slaByStep = [...this.sla]
      .filter(([, s]) => s.requests > 0 || s.breaches > 0)
      .map(([stepId, s]) => ({
        stepId,
        ...s,
        breachRate: s.requests ? s.breaches / s.requests : 0,
      }))
      .sort((a, b) => (a.stepId < b.stepId ? -1 : 1));
    const requests = slaByStep.reduce((n, s) => n + s.requests, 0);
    const breaches = slaByStep.reduce((n, s) => n + s.breaches, 0);
    return {
      segmentId,
      runs: this.runs,
      byStatus: [...this.status]
        .map(([status, count]) => ({ status, count }))
        .sort((a, b) => b.count - a.count),
      throughput: durationStats(this.throughput),
      waitingByHumanStep: [...this.waiting]
        .map(([stepId, values]) => ({ stepId, waiting: durationStats(values) }))
        .sort((a, b) => (a.stepId < b.stepId ? -1 : 1)),
      reworkByReview: [...this.rework]
        .map(([stepId, r]) => ({
          stepId,
          runs: r.runs,
          runsWithRework: r.runsWithRework,
          loops: r.loops,
          meanLoopsPerRun: r.runs ? Math.round((r.loops / r.runs) * 1000) / 1000 : 0,
          maxLoopsPerRun: r.max,
        }))
        .sort((a, b) => (a.stepId < b.stepId ? -1 : 1)),
      slaByStep,
      slaBreachRate: requests ? breaches / requests : 0,
    };
  }
}

async function analyze(store: Store, query: ProcessLogQuery): Promise<ProcessAnalyzer> {
  const analyzer = new ProcessAnalyzer();
  for await (const trace of readProcessLog(store, query)) await analyzer.addTrace(trace.run, trace.events);
  return analyzer;
}

/**
 * The directly-follows map of the runs of `query.segmentId` created within `from`..`to`:
 * step attempts in the order they started, with frequencies and the time between one
 * attempt's end and the next one's start; a retry or a revision loop shows as an edge
 * back. Runs enter at {@link PROCESS_START}; runs that ended leave at {@link PROCESS_END}.
 */
export async function processMap(store: Store, query: ProcessLogQuery): Promise<ProcessMap> {
  return (await analyze(store, query)).map(query.segmentId);
}

/**
 * Metrics of the runs of `query.segmentId` created within `from`..`to`: runs by status,
 * throughput time percentiles of the runs that ended, waiting time per human step, rework
 * loops per review step (revisions it asked for), and SLA warnings and breaches per human
 * step with the breach rate.
 */
export async function processMetrics(store: Store, query: ProcessLogQuery): Promise<ProcessMetrics> {
  return (await analyze(store, query)).metrics(query.segmentId);
}
