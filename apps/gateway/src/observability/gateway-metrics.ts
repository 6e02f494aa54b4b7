import {
  DEFAULT_TENANT,
  type Engine,
  OPEN_INTERACTION_STATUSES,
  type SegmentDefinition,
  usageOf,
  type WorktrailEvent,
} from '@llmteam/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { commitObservers } from './commit-timing.js';

/** Options of {@link GatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** Prefix of every metric name. @default "llmteam_" */
  prefix?: string;
  /** Segment versions whose step types are kept (and ten times as many runs' segments). @default 1000 */
  cacheSize?: number;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600, 86_400];
const COMMIT_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Prometheus metrics of one gateway, fed from the engine's committed events (and the
 * store's commit timing when the store is wrapped with `withCommitTiming`): runs by
 * status, step durations by step type, waiting interactions, SLA breaches, token usage,
 * action calls by status and store commit latency. One registry per instance.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  /** Step types by segment version (`tenant \0 segment \0 version`). */
  private readonly stepTypes = new Map<string, Promise<Map<string, string>>>();
  /** Segment version of each run seen (`tenant \0 run` to a `stepTypes` key). */
  private readonly runSegments = new Map<string, string>();
  private readonly unsubscribe: () => void;
  private readonly cacheSize: number;
  private readonly runs: Counter<'status'>;
  private readonly steps: Histogram<'step_type' | 'outcome'>;
  private readonly sla: Counter<'step_type'>;
  private readonly tokens: Counter<'direction' | 'provider' | 'model'>;
  private readonly modelCalls: Histogram<'provider' | 'model'>;
  private readonly actions: Counter<'action' | 'status'>;
  private readonly actionDurations: Histogram<'action' | 'status'>;
  private readonly commits: Histogram<'outcome'>;

  constructor(
    private readonly engine: Engine,
    options: GatewayMetricsOptions = {},
  ) {
    const p = options.prefix ?? 'llmteam_';
    this.cacheSize = options.cacheSize ?? 1000;
    const registers = [this.registry];
    this.runs = new Counter({
      name: `${p}run_transitions_total`,
      help: 'Runs entering each status',
      labelNames: ['status'],
      registers,
    });
    this.steps = new Histogram({
      name: `${p}step_duration_seconds`,
      help: 'Duration of step attempts by step type, from start to completion or failure',
      labelNames: ['step_type', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: `${p}interactions_waiting`,
      help: 'Requests for a person that are still open, over all tenants',
      registers,
      collect: async function (this: Gauge) {
        let open = 0;
        // Tenant `default` works without a tenant record.
        const tenants = new Set([
          DEFAULT_TENANT,
          ...(await engine.store.listTenants()).map((t) => t.tenantId),
        ]);
        for (const tenantId of tenants) {
          open += (await engine.store.listInteractions(tenantId, { status: [...OPEN_INTERACTION_STATUSES] }))
            .length;
        }
        this.set(open);
      },
    });
    this.sla = new Counter({
      name: `${p}sla_breaches_total`,
      help: 'Interactions that breached their SLA',
      labelNames: ['step_type'],
      registers,
    });
    this.tokens = new Counter({
      name: `${p}tokens_total`,
      help: 'Model tokens used, by direction (input or output), provider and model',
      labelNames: ['direction', 'provider', 'model'],
      registers,
    });
    this.modelCalls = new Histogram({
      name: `${p}model_call_duration_seconds`,
      help: 'Duration of model calls of agent steps, by provider and model',
      labelNames: ['provider', 'model'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.actions = new Counter({
      name: `${p}action_calls_total`,
      help: 'Action calls by action and status (completed, failed, timeout, cancelled)',
      labelNames: ['action', 'status'],
      registers,
    });
    this.actionDurations = new Histogram({
      name: `${p}action_duration_seconds`,
      help: 'Duration of action calls by action and status, limits and waits included',
      labelNames: ['action', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.commits = new Histogram({
      name: `${p}store_commit_seconds`,
      help: 'Latency of store commits (one per run transition)',
      labelNames: ['outcome'],
      buckets: COMMIT_BUCKETS,
      registers,
    });
    const observers = commitObservers(engine.store);
    const onCommit = (seconds: number, ok: boolean) =>
      this.commits.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
    observers?.add(onCommit);
    const off = engine.onEvent((event) => void this.record(event), { tenantId: '*' });
    this.unsubscribe = () => {
      off();
      observers?.delete(onCommit);
    };
  }

  /**
   * The step type of a run's step, from its segment version. The run's segment comes from
   * its `run.created` event (or, for a run created elsewhere, one read of the run); step
   * types are read once per segment version. Both caches are bounded.
   */
  private async stepType(event: WorktrailEvent): Promise<string> {
    const stepId = event.step_id;
    if (stepId === undefined) return 'unknown';
    const key = `${event.tenant_id}\u0000${event.run_id}`;
    let segment = this.runSegments.get(key);
    if (segment === undefined) {
      const run = await this.engine.store.getRun(event.tenant_id, event.run_id);
      if (!run) return 'unknown';
      segment = `${run.tenantId}\u0000${run.segmentId}\u0000${run.segmentVersion}`;
      remember(this.runSegments, key, segment, this.cacheSize * 10);
    }
    let types = this.stepTypes.get(segment);
    if (!types) {
      const [tenantId, segmentId, version] = segment.split('\u0000') as [string, string, string];
      types = this.engine.store.getSegment(tenantId, segmentId, version).then((record) => {
        const map = new Map<string, string>();
        for (const s of (record?.definition as SegmentDefinition | undefined)?.steps ?? [])
          map.set(s.step_id, s.step_type);
        return map;
      });
      // A failed read is not kept: the next event tries again.
      types.catch(() => this.stepTypes.delete(segment as string));
      remember(this.stepTypes, segment, types, this.cacheSize);
    }
    return (await types).get(stepId) ?? 'unknown';
  }

  private async record(event: WorktrailEvent): Promise<void> {
    try {
      const data = (event.data ?? {}) as Record<string, unknown>;
      const usage = usageOf(data);
      if (usage.input || usage.output) {
        const model = {
          provider: String(data.provider ?? 'unknown'),
          model: String(data.model ?? 'unknown'),
        };
        if (usage.input) this.tokens.inc({ direction: 'input', ...model }, usage.input);
        if (usage.output) this.tokens.inc({ direction: 'output', ...model }, usage.output);
      }
      switch (event.type) {
        case 'run.created':
          this.runs.inc({ status: 'pending' });
          if (typeof data.segment_id === 'string' && typeof data.version === 'string')
            remember(
              this.runSegments,
              `${event.tenant_id}\u0000${event.run_id}`,
              `${event.tenant_id}\u0000${data.segment_id}\u0000${data.version}`,
              this.cacheSize * 10,
            );
          break;
        case 'run.started':
        case 'run.resumed':
          this.runs.inc({ status: 'running' });
          break;
        case 'run.waiting':
          this.runs.inc({ status: String(data.status ?? 'waiting') });
          break;
        case 'run.paused':
        case 'run.completed':
        case 'run.failed':
        case 'run.cancelled':
          this.runs.inc({ status: event.type.slice(4) });
          break;
        case 'step.completed':
        case 'step.failed':
        case 'step.retrying': {
          const ms = typeof data.duration_ms === 'number' ? data.duration_ms : undefined;
          if (ms !== undefined) {
            this.steps.observe(
              { step_type: await this.stepType(event), outcome: event.type.slice(5) },
              ms / 1000,
            );
          }
          break;
        }
        case 'model.call.completed': {
          const ms = typeof data.duration_ms === 'number' ? data.duration_ms : undefined;
          if (ms !== undefined)
            this.modelCalls.observe(
              { provider: String(data.provider ?? 'unknown'), model: String(data.model ?? 'unknown') },
              ms / 1000,
            );
          break;
        }
        case 'interaction.sla_breached':
          this.sla.inc({ step_type: await this.stepType(event) });
          break;
        case 'action.completed':
        case 'action.failed': {
          // The result's own status tells a timeout or a cancel from another failure.
          const labels = {
            action: String(data.action ?? 'unknown'),
            status: String(data.status ?? event.type.slice(7)),
          };
          this.actions.inc(labels);
          if (typeof data.duration_ms === 'number')
            this.actionDurations.observe(labels, data.duration_ms / 1000);
          break;
        }
      }
      if (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled') {
        this.runSegments.delete(`${event.tenant_id}\u0000${event.run_id}`);
      }
    } catch {
      // Metrics never fail the gateway: a lookup that fails leaves this event uncounted.
    }
  }

  /** The text exposition format for `GET /metrics`. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops listening to the engine. */
  close(): void {
    this.unsubscribe();
  }
}

/** Sets `key` in a map that keeps at most `max` entries (the oldest goes first). */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
