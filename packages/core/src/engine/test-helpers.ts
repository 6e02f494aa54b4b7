import {
  type Commit,
  type CommitResult,
  defineStepType,
  MemoryStore,
  type SegmentDefinition,
  type StepTypeDefinition,
  type Store,
} from '../index.js';

/** A step type that records each call and passes its input through. */
export function recorder(
  calls: Array<{ stepId: string; key: string; at: number }>,
  type = 'record',
  worker?: string,
): StepTypeDefinition {
  let counter = 0;
  return defineStepType({
    type,
    displayName: 'Record',
    category: 'UTILITY',
    configSchema: { type: 'object', properties: { delay_ms: { type: 'number' } } },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    dynamicPorts: true,
    async handler(ctx) {
      calls.push({ stepId: ctx.stepId, key: ctx.idempotencyKey, at: counter++ });
      const delay = (ctx.config as { delay_ms?: number }).delay_ms;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return {
        output: worker
          ? { from: ctx.stepId, worker, input: ctx.input }
          : { from: ctx.stepId, input: ctx.input },
      };
    },
  });
}

/** Builds a DAG segment of `record` steps: edge i -> j (i < j) where `edges` says so. */
export function dagSegment(
  id: string,
  size: number,
  edges: Array<[number, number]>,
  config: Record<string, unknown> = {},
): SegmentDefinition {
  const steps = Array.from({ length: size }, (_, i) => ({
    step_id: `n${i}`,
    step_type: 'record',
    config,
    inputs: [{ port_id: 'input' }],
  }));
  const seen = new Set<string>();
  const list = edges
    .filter(([a, b]) => a < b && b < size)
    .filter(([a, b]) => {
      if (seen.has(`${a}-${b}`)) return false;
      seen.add(`${a}-${b}`);
      return true;
    })
    .map(([a, b]) => ({ source_step: `n${a}`, target_step: `n${b}` }));
  return { segment_id: id, steps, edges: list };
}

/**
 * A store that dies at the N-th commit, like a process killed at that point: `before`
 * the commit is applied, or `after` it was applied but before the engine learns of it.
 * After that every call fails, as it would for a dead process.
 */
export class CrashingStore {
  commits = 0;
  dead = false;
  constructor(
    readonly inner: MemoryStore,
    readonly crashAt: number,
    readonly mode: 'before' | 'after',
  ) {}

  asStore(): Store {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop === 'commit') {
          return async (commit: Commit): Promise<CommitResult> => {
            if (this.dead) throw new Error('process is dead');
            this.commits++;
            if (this.commits === this.crashAt) {
              this.dead = true;
              if (this.mode === 'after') await target.commit(commit);
              throw new Error('killed');
            }
            return target.commit(commit);
          };
        }
        if (prop === 'subscribe' || prop === 'init' || prop === 'close') return value.bind(target);
        return (...args: unknown[]) => {
          if (this.dead) return Promise.reject(new Error('process is dead'));
          return value.apply(target, args);
        };
      },
    }) as Store;
  }
}
