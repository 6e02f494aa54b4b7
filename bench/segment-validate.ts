/**
 * Validation of long segments: a linear chain of 10,000 steps, the way `upsertSegment` and
 * `llmteam validate` check it (contract schema, every step, every edge, cycles, loop
 * bounds, reachability). Target: under 100 ms (warm median).
 *
 * - `chain`: 10,000 `transform` steps sharing a few expressions (graph-bound work).
 * - `distinctExpressions`: 10,000 steps, each with its own JSONata expression. Reported
 *   without a target: JSONata rebuilds its parser's symbol table on every parse, so each
 *   new expression costs a parse of its own.
 * - `cold` is the first validation in the process (JIT not warmed up).
 */
import { performance } from 'node:perf_hooks';
import { StepCatalog, validateSegment } from '@llmteam/core';

const N = 10_000;

function chain(expression: (i: number) => string) {
  return {
    segment_id: 'bench_long_chain',
    steps: Array.from({ length: N }, (_, i) => ({
      step_id: `s${i}`,
      step_type: 'transform',
      config: { expression: expression(i) },
    })),
    edges: Array.from({ length: N - 1 }, (_, i) => ({ source_step: `s${i}`, target_step: `s${i + 1}` })),
  };
}

function measure(segment: unknown, catalog: () => StepCatalog, rounds: number) {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c = catalog();
    const start = performance.now();
    const result = validateSegment(segment, c);
    times.push(performance.now() - start);
    if (!result.valid) throw new Error(`bench segment is invalid: ${result.problems[0]?.message}`);
  }
  const sorted = times.slice(1).sort((a, b) => a - b);
  return {
    cold: Math.round(times[0] * 10) / 10,
    median: Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10,
    p90: Math.round(sorted[Math.floor(sorted.length * 0.9)] * 10) / 10,
  };
}

export async function run() {
  const shared = new StepCatalog();
  const repeated = measure(
    chain((i) => `$ + ${i % 5}`),
    () => shared,
    21,
  );
  // A fresh catalog each round: no expression was seen before.
  const distinct = measure(
    chain((i) => `$.a${i} + ${i}`),
    () => new StepCatalog(),
    5,
  );
  return {
    steps: N,
    chainMs: repeated,
    distinctExpressionsMs: distinct,
    target: 'chain median < 100 ms',
    met: repeated.median < 100,
  };
}
