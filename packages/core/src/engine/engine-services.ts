import { randomBytes } from 'node:crypto';
import { ActionRegistry } from '../actions/action-registry.js';
import { AuditLog } from '../audit/audit-log.js';
import { StepCatalog } from '../catalog/step-catalog.js';
import type { StepCommit } from '../catalog/step-hooks.js';
import {
  envSecrets,
  type Logger,
  type RuntimeResources,
  type SecretsProvider,
  silentLogger,
  type TokenBudgetState,
} from '../catalog/types.js';
import { LlmteamError, toErrorInfo } from '../errors.js';
import { RetentionSchedule } from '../lifecycle/retention-schedule.js';
import { TokenMeter } from '../llm/token-meter.js';
import { periodStart, runTokenUsage } from '../llm/token-usage.js';
import { AgentMemory } from '../memory/agent-memory.js';
import type { NotificationChannel } from '../notify/types.js';
import type { HttpRoute } from '../plugins/http-route.js';
import { setupPlugins } from '../plugins/setup.js';
import { TenantResources } from '../plugins/tenant-resources.js';
import { redactingLogger } from '../secrets/redacting-logger.js';
import { SecretRedactor } from '../secrets/secret-redactor.js';
import { SecretsChain } from '../secrets/secrets-chain.js';
import { buildGraph, type SegmentGraph } from '../segment/graph.js';
import { InputSchemas } from '../segment/input-schema.js';
import { stepPorts } from '../segment/step-ports.js';
import type { SegmentDefinition, StepDefinition } from '../segment/types.js';
import { readRunState } from '../store/run-state.js';
import type { CommitLease, RunRecord, RunState, SegmentRecord, Store } from '../store/types.js';
import { EngineTelemetry } from '../telemetry/engine-telemetry.js';
import { ActionCallMeter } from '../tenancy/action-call-limit.js';
import { TenantManager } from '../tenancy/tenant-manager.js';
import { type Clock, systemClock } from '../util/clock.js';
import { createUlidGenerator, type IdGenerator } from '../util/ids.js';
import { type ChildRunHost, ChildRunLinks } from './child-runs.js';
import { EngineSealing } from './engine-sealing.js';
import { EventStream } from './event-stream.js';
import type { InteractionPort, InteractionPortFactory } from './interaction-port.js';
import type { EngineInternals } from './internals.js';
import { LiveProgress } from './live-progress.js';
import { RunDriver } from './run-driver.js';
import { type ContextServices, StepContextImpl } from './step-context.js';
import { StepSlots } from './step-slots.js';
import type { Transaction } from './transaction.js';
import {
  type Actor,
  type CallScope,
  DEFAULT_ENGINE_OPTIONS,
  DEFAULT_TENANT,
  type Engine,
  type EngineOptions,
} from './types.js';

const SYSTEM: Actor = { subject: 'system' };

/** The run commands tenant deletion uses, from the concrete engine. */
type RunCommands = Pick<Engine, 'cancelRun' | 'eraseRun'>;

/** The engine's services: options and defaults, clock, ids, graphs, step contexts, readiness. */
export abstract class EngineServices {
  readonly store: Store;
  readonly catalog: StepCatalog;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly workerId: string;
  protected readonly interactions: InteractionPort;
  readonly snapshotEvery: number;
  readonly snapshotOnError = true;
  readonly secrets: SecretsProvider[];
  /**
   * Holds every secret value the engine's providers resolved; logs, step errors, events,
   * audit entries and notifications are scrubbed with it, and so are the gateway's logs and
   * GraphQL errors.
   */
  readonly redactor: SecretRedactor;
  readonly resources: RuntimeResources;
  /** Resources registered per tenant (the runtime context per tenant). */
  readonly tenantResources: TenantResources;
  readonly actions: ActionRegistry;
  readonly channels: NotificationChannel[];
  readonly linkSecret: string;
  readonly publicUrl?: string;
  readonly routes: HttpRoute[] = [];
  readonly telemetry: EngineTelemetry;
  protected readonly leaseMs: number;
  protected readonly pollIntervalMs: number;
  protected readonly randomFn: () => number;
  protected readonly drivers = new Map<string, RunDriver>();
  protected readonly releasing = new Map<string, Promise<void>>();
  protected readonly graphs = new Map<string, SegmentGraph>();
  /** Run input checks against segments' `input_schema`. */
  protected readonly inputSchemas = new InputSchemas();
  protected readonly stream: EventStream;
  /** Live progress of the steps running here (`ctx.progress`). */
  readonly progress: LiveProgress;
  readonly childRuns: ChildRunLinks;
  readonly memory: AgentMemory;
  /** Signed checkpoints, verification and inclusion proofs of the audit log. */
  readonly audit: AuditLog;
  readonly retention: RetentionSchedule;
  /** Sealed fields: key providers, the sealer and each segment's sealing plan. */
  readonly sealing: EngineSealing;
  /** Tenants: records, tiers, limits and usage. */
  readonly tenants: TenantManager;
  /** The slots step handlers run in, shared fairly between tenants (`maxConcurrentSteps`). */
  readonly slots: StepSlots;
  /** Tokens each tenant used per period, from the stored model calls. */
  protected readonly tokenMeter: TokenMeter;
  /** Each tenant's action calls of the last minute, held to its `action_calls_per_minute`. */
  protected readonly actionCalls: ActionCallMeter;
  protected readyPromise?: Promise<void>;
  protected running = false;
  protected pollHandle: unknown;
  protected wakeHandle: unknown;
  protected wakeAt = Number.POSITIVE_INFINITY;
  protected polling?: Promise<void>;
  protected pollAgain = false;
  protected heartbeat: unknown;

  constructor(
    private readonly options: EngineOptions,
    interactions: InteractionPortFactory,
  ) {
    this.store = options.store;
    this.catalog = options.catalog ?? new StepCatalog();
    this.clock = options.clock ?? systemClock;
    this.secrets = typeof options.secrets === 'object' ? [options.secrets] : [envSecrets()];
    this.secretsProvider = new SecretsChain(this.secrets, options.redactor, (tenantId) =>
      this.tenantResources.secretsOf(tenantId),
    );
    this.redactor = this.secretsProvider.redactor;
    this.logger = redactingLogger(options.logger ?? silentLogger, this.redactor);
    this.ids = options.ids ?? createUlidGenerator(() => this.clock.now());
    this.telemetry = new EngineTelemetry(options.telemetry ?? {}, this.clock, this.logger);
    this.workerId = options.workerId ?? `worker_${randomBytes(6).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_ENGINE_OPTIONS.leaseMs;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_ENGINE_OPTIONS.pollIntervalMs;
    this.segmentCacheMs = options.segmentCacheMs ?? DEFAULT_ENGINE_OPTIONS.segmentCacheMs;
    this.randomFn = options.random ?? DEFAULT_ENGINE_OPTIONS.random;
    this.snapshotEvery = 0;
    this.slots = new StepSlots(options.maxConcurrentSteps ?? DEFAULT_ENGINE_OPTIONS.maxConcurrentSteps);
    this.resources = {
      stores: { ...(options.resources?.stores ?? {}) },
      clients: { ...(options.resources?.clients ?? {}) },
      llms: { ...(options.resources?.llms ?? {}) },
      actions: { ...(options.resources?.actions ?? {}) },
    };
    this.tenantResources = new TenantResources(options.tenantResources);
    this.channels = [...(options.channels ?? [])];
    this.linkSecret = options.linkSecret ?? randomBytes(32).toString('hex');
    this.publicUrl = options.publicUrl;
    for (const t of options.stepTypes ?? []) this.catalog.register(t);
    this.actions = new ActionRegistry({
      secrets: this.secretsProvider,
      clock: this.clock,
      logger: this.logger,
      coordination: options.actionCoordination,
      outbound: options.outbound,
      tracer: this.telemetry.tracer,
      redactor: this.redactor,
      admit: (call) => this.actionCalls.admit(call.tenantId, call.action, call.idempotencyKey),
    });
    for (const type of options.actionTypes ?? []) this.actions.registerType(type);
    for (const [name, config] of Object.entries(options.actions ?? {})) this.actions.define(name, config);
    for (const [name, handler] of Object.entries(this.resources.actions)) {
      this.actions.defineFunction(name, (input, ctx) =>
        handler(input, {
          tenantId: ctx.tenantId,
          runId: ctx.runId ?? '',
          idempotencyKey: ctx.idempotencyKey,
          signal: ctx.signal,
        }),
      );
    }
    this.tenants = new TenantManager(
      {
        store: this.store,
        clock: this.clock,
        // The run commands live on the concrete engine, a subclass of this one.
        cancelRun: (runId, scope) => (this as unknown as RunCommands).cancelRun(runId, scope),
        eraseRun: (runId, scope) => (this as unknown as RunCommands).eraseRun(runId, scope),
      },
      options.tenancy,
    );
    this.tokenMeter = new TokenMeter(this.store, this.clock);
    this.actionCalls = new ActionCallMeter(this.store, this.clock, (tenantId) =>
      this.tenants.limitsOf(tenantId),
    );
    this.progress = new LiveProgress(this.clock, this.ids, { coalesceMs: options.progressCoalesceMs });
    this.stream = new EventStream(this.store, this.progress);
    // The host's run commands live on the concrete engine, a subclass of this one.
    this.childRuns = new ChildRunLinks(this as unknown as ChildRunHost);
    this.memory = new AgentMemory(this.store, this.clock, options.memory);
    this.audit = new AuditLog(this.store, this.clock, this.logger, options.audit, () => this.ready());
    this.retention = new RetentionSchedule(
      this.store,
      this.clock,
      this.logger,
      options.retention,
      () => this.ready(),
      () => this.tenants.retentionPolicies(),
    );
    this.sealing = new EngineSealing(options.sealing, this.logger);
    this.interactions = interactions({
      store: this.store,
      clock: this.clock,
      ids: this.ids,
      logger: this.logger,
      channels: this.channels,
      redactor: this.redactor,
      secrets: this.secretsProvider,
      linkSecret: this.linkSecret,
      publicUrl: this.publicUrl,
      directory: options.directory,
      nowIso: () => this.nowIso(),
      withStep: (tenantId, runId, stepId, fn, state) => this.withStep(tenantId, runId, stepId, fn, state),
      readRunState: (tenantId, query) => readRunState(this.store, tenantId, query),
    });
  }

  // ---- EngineInternals ----

  /** How long a child's notification waits when its parent step is still busy. */
  get retryMs(): number {
    return this.pollIntervalMs;
  }

  random(): number {
    return this.randomFn();
  }

  commitLease(giveBack: boolean): CommitLease | undefined {
    if (!this.store.capabilities.commitLease) return undefined;
    return { owner: this.workerId, now: this.nowIso(), leaseMs: giveBack ? 0 : this.leaseMs };
  }

  protected lastIso = { ms: Number.NaN, iso: '' };
  nowIso(): string {
    const ms = this.clock.now();
    if (ms !== this.lastIso.ms) this.lastIso = { ms, iso: new Date(ms).toISOString() };
    return this.lastIso.iso;
  }

  /** Milliseconds of an ISO time; the one {@link nowIso} made last costs no parse. */
  isoMs(iso: string): number {
    return iso === this.lastIso.iso ? this.lastIso.ms : Date.parse(iso);
  }

  async graphFor(tenantId: string, segmentId: string, version: string): Promise<SegmentGraph> {
    const key = `${tenantId}\u0000${segmentId}\u0000${version}`;
    const graph = this.graphs.get(key);
    if (graph) return graph;
    const record = await this.store.getSegment(tenantId, segmentId, version);
    if (!record) {
      throw new LlmteamError(
        'LLMT_E_SEGMENT_NOT_FOUND',
        `segment "${segmentId}" version ${version} is not registered for tenant "${tenantId}"; upsert it first`,
      );
    }
    return this.graphOf(record);
  }

  /** The graph of a stored segment version, built once (a stored version never changes). */
  protected graphOf(record: SegmentRecord): SegmentGraph {
    const key = `${record.tenantId}\u0000${record.segmentId}\u0000${record.version}`;
    let graph = this.graphs.get(key);
    if (!graph) {
      graph = buildGraph(
        record.definition as SegmentDefinition,
        (step) => this.catalog.get(step.step_type)?.backEdges,
      );
      this.graphs.set(key, graph);
    }
    return graph;
  }

  /** The latest version of each segment as last read or stored here, with when it was read (ms). */
  protected readonly latestSegments = new Map<string, { version: string; at: number }>();
  protected readonly segmentCacheMs: number;

  /**
   * A segment version to start: the one asked for, else the latest (read again once
   * `segmentCacheMs` passed). Read from the store only when this engine has not seen it.
   */
  protected async segmentRef(
    tenantId: string,
    segmentId: string,
    version?: string,
  ): Promise<{ segmentId: string; version: string } | undefined> {
    const latestKey = `${tenantId}\u0000${segmentId}`;
    const known =
      version ??
      (() => {
        const hit = this.latestSegments.get(latestKey);
        return hit && this.clock.now() - hit.at < this.segmentCacheMs ? hit.version : undefined;
      })();
    if (known !== undefined && this.graphs.has(`${latestKey}\u0000${known}`))
      return { segmentId, version: known };
    // Starts that miss together share one read.
    const readKey = `${latestKey}\u0000${version ?? ''}`;
    let read = this.segmentReads.get(readKey);
    if (!read) {
      const at = this.clock.now();
      const started = this.store.getSegment(tenantId, segmentId, version).then((record) => {
        if (record) {
          this.graphOf(record);
          if (version === undefined) this.latestSegments.set(latestKey, { version: record.version, at });
        }
        return record;
      });
      const forget = () => {
        if (this.segmentReads.get(readKey) === started) this.segmentReads.delete(readKey);
      };
      started.then(forget, forget);
      this.segmentReads.set(readKey, started);
      read = started;
    }
    const record = await read;
    return record ? { segmentId, version: record.version } : undefined;
  }
  private readonly segmentReads = new Map<string, Promise<SegmentRecord | undefined>>();

  protected readonly ports = new WeakMap<StepDefinition, { inputs: Set<string>; outputs: Set<string> }>();
  portsOf(def: StepDefinition) {
    let ports = this.ports.get(def);
    if (!ports) {
      ports = stepPorts(def, this.catalog);
      this.ports.set(def, ports);
    }
    return ports;
  }

  makeContext(args: Parameters<EngineInternals['makeContext']>[0]): StepContextImpl {
    return new StepContextImpl(
      args.driver.tenantId,
      args.driver.runId,
      args.def,
      args.type,
      args.rec,
      args.attempt,
      args.inputs,
      this.contextServices,
      args.driver,
      args.driver.graph.segment.token_budget === undefined
        ? undefined
        : {
            limit: args.driver.graph.segment.token_budget,
            name: `token_budget of segment "${args.driver.graph.segment.segment_id}"`,
          },
    );
  }

  /** Token prices of the engine's options, for cost estimates. */
  get tokenPrices() {
    return this.options.tokens?.prices;
  }

  /** The run's and the tenant's token budgets with their use, read from the stored model calls. */
  async tokenBudgets(
    tenantId: string,
    runId: string,
    run?: { limit: number; name: string },
  ): Promise<TokenBudgetState[]> {
    const out: TokenBudgetState[] = [];
    if (run) {
      const { total } = await runTokenUsage(this.store, tenantId, runId);
      out.push({ scope: 'run', ...run, used: total.inputTokens + total.outputTokens });
    }
    const now = this.clock.now();
    const tenant = this.options.tokens?.tenantBudgets?.[tenantId];
    if (tenant) {
      const from = periodStart(now, tenant.period).toISOString();
      out.push({
        scope: 'tenant',
        limit: tenant.tokens,
        used: await this.tokenMeter.used(tenantId, tenant.period, from),
        name: `token budget of tenant "${tenantId}" per ${tenant.period} (since ${from})`,
      });
    }
    const { limits, tier } = await this.tenants.limitsOf(tenantId);
    if (limits.llm_tokens_per_month !== undefined) {
      const from = periodStart(now, 'month').toISOString();
      out.push({
        scope: 'tenant',
        limit: limits.llm_tokens_per_month,
        used: await this.tokenMeter.used(tenantId, 'month', from),
        name: `llm_tokens_per_month of tenant "${tenantId}" (since ${from})`,
        tier,
      });
    }
    return out;
  }

  protected get contextServices(): ContextServices {
    this.services ??= {
      logger: this.logger,
      clock: this.clock,
      ids: this.ids,
      secrets: this.secretsProvider,
      resources: this.resources,
      tenants: this.tenantResources,
      actions: this.actions,
      fetch: (input, init) => globalThis.fetch(input, init),
      interactions: this.interactions,
      progress: this.progress,
      tokens: { budgets: (tenantId, runId, run) => this.tokenBudgets(tenantId, runId, run) },
      children: this.childRuns,
      memory: this.memory,
      grants: this.options.permissions ?? {},
      telemetry: this.telemetry,
    };
    return this.services;
  }
  protected services?: ContextServices;

  /** Every provider in turn; registers what it resolves with {@link EngineServices.redactor}. */
  protected readonly secretsProvider: SecretsChain;

  protected executions = 0;
  nextExecution(): string {
    return `${this.workerId}.${++this.executions}`;
  }

  protected ready(): Promise<void> {
    this.readyPromise ??= (async () => {
      await this.store.init();
      await setupPlugins(this.options.plugins ?? [], {
        catalog: this.catalog,
        logger: this.logger,
        channels: this.channels,
        resources: this.resources,
        secrets: this.secrets,
        tenants: this.tenantResources,
        secretsResolver: this.secretsProvider,
        redactor: this.redactor,
        keyProviders: this.sealing.providers,
        routes: this.routes,
        actions: this.actions,
      });
      if (typeof this.options.secrets === 'string') this.checkSecretsProvider(this.options.secrets);
      // Plugins may add action types: configs of those types are checked now, before any run.
      this.actions.checkAll();
    })();
    return this.readyPromise;
  }

  /** A provider chosen by name must be one a plugin registered. */
  private checkSecretsProvider(name: string): void {
    if (this.secrets.some((p) => p.name === name)) return;
    const known = this.secrets.map((p) => p.name).filter(Boolean);
    throw new LlmteamError(
      'LLMT_E_SECRETS_CONFIG',
      `secrets provider "${name}" is not registered by any plugin (registered: ${known.length ? known.join(', ') : 'none'}); load the plugin that provides it, or use "env" or "file"`,
      { details: { field: 'secrets.provider', provider: name } },
    );
  }

  /** An error as kept on steps and in events, with every resolved secret scrubbed. */
  errorInfo(error: unknown): ReturnType<typeof toErrorInfo> {
    return this.redactor.scrubDeep(toErrorInfo(error));
  }

  protected scope(scope?: CallScope): { tenantId: string; actor: Actor } {
    return { tenantId: scope?.tenantId ?? DEFAULT_TENANT, actor: scope?.actor ?? SYSTEM };
  }

  protected async mustGetRun(tenantId: string, runId: string): Promise<RunRecord> {
    const run = await this.store.getRun(tenantId, runId);
    if (!run)
      throw new LlmteamError('LLMT_E_RUN_NOT_FOUND', `run "${runId}" does not exist in tenant "${tenantId}"`);
    return run;
  }

  /** Applies a change to a run in one commit (see {@link EngineWorker.withRun}). */
  abstract withRun<T>(
    tenantId: string,
    runId: string,
    fn: (driver: RunDriver, tx: Transaction) => T | Promise<T>,
    state?: RunState,
  ): Promise<T>;
  /** Runs `fn` in one commit of the run, bound to one of its steps. */
  abstract withStep<T>(
    tenantId: string,
    runId: string,
    stepId: string,
    fn: (commit: StepCommit) => T | Promise<T>,
    state?: RunState,
  ): Promise<T>;
}
