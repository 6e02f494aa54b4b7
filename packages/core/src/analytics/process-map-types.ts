import type { DurationStats } from './duration-stats.js';

/** One activity (step) of a process map. */
export interface ProcessMapNode {
  /** Step id, or `__start__` / `__end__`. */
  activity: string;
  stepType?: string;
  /** Activity instances (step attempts) seen, open ones included; runs for the start and end nodes. */
  count: number;
  /** Attempts that ended in a failure, a retry or an abort. */
  failed: number;
  /** From start to end of each finished attempt. */
  duration: DurationStats;
}

/** A directly-follows relation: `target` started next after `source` in a run. */
export interface ProcessMapEdge {
  source: string;
  target: string;
  count: number;
  /** From the end of `source` to the start of `target`. */
  duration: DurationStats;
}

/** A directly-follows map of a segment's runs. */
export interface ProcessMap {
  segmentId: string;
  runs: number;
  nodes: ProcessMapNode[];
  edges: ProcessMapEdge[];
}
