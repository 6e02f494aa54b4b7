import { trace } from '@opentelemetry/api';
import type { ActionRegistry } from '../actions/action-registry.js';
import { type ActionCommitRecords, StepActionsImpl } from '../actions/step-actions.js';
import type {
  CheckpointOptions,
  ChildRuns,
  Logger,
  RuntimeResources,
  SecretsProvider,
  StepContext,
  StepTrace,
  StepTypeDefinition,
  SuspendOptions,
  TokenBudgetState,
} from '../catalog/types.js';
import { LlmteamError } from '../errors.js';
import type { AgentMemory, AgentMemoryScope } from '../memory/agent-memory.js';
import type { TenantResources } from '../plugins/tenant-resources.js';
import { missingSecretError } from '../secrets/missing-secret.js';
import { providersOf } from '../secrets/secrets-chain.js';
import { declaredInputs, handlerInput } from '../segment/step-ports.js';
import type { StepDefinition } from '../segment/types.js';
import type { RunRecord, StepStateRecord } from '../store/types.js';
import type { EngineTelemetry } from '../telemetry/engine-telemetry.js';
import { formatTraceparent } from '../telemetry/trace-context.js';
import type { Clock } from '../util/clock.js';
import type { IdGenerator } from '../util/ids.js';
import type { AuditAction, StepAuditEntry } from '../worktrail/audit-actions.js';
import type { WorktrailEventDraft, WorktrailEventMap, WorktrailEventType } from '../worktrail/event-types.js';
import type { LiveProgress, ProgressUpdate } from './live-progress.js';
import type { StepSealing } from './step-sealing.js';
import { InterruptSignal, SuspendSignal } from './suspend-signal.js';

/** A request a handler makes of a person, as `ctx.requestApproval` takes it. */
export type PersonRequest = Parameters<StepContext['requestApproval']>[0];
/** Requests a step opens itself, as `ctx.draftRequests` takes them. */
export type PersonDrafts = Parameters<StepContext['draftRequests']>[0];
/** The closing answer `ctx.requestApproval` resolves with. */
export type PersonAnswer = Awaited<ReturnType<StepContext['requestApproval']>>;

/** Where a context saves checkpoints: the driver of its run (and its run header). */
export interface CheckpointSink {
  readonly run: RunRecord;
  checkpoint(
    stepId: string,
    attempt: number,
    execution: string | undefined,
    state: unknown,
    options?: CheckpointOptions,
  ): Promise<boolean>;
}

/** What a deployment grants a step type beyond what the type declares itself. */
export interface PermissionGrant {
  /** Hosts: exact names (`api.example.com`, `host:port`), `*.example.com` wildcards, or `*`. */
  hosts?: string[];
  /** Secret names. */
  secrets?: string[];
}

/** Hosts a step type may reach: its declared ones plus the deployment's grant. */
export function allowedHosts(type: StepTypeDefinition, grant: PermissionGrant | undefined): string[] {
  return [...(type.permissions?.hosts ?? []), ...(grant?.hosts ?? [])].map((h) => h.toLowerCase());
}

function hostAllowed(url: URL, allowed: string[]): boolean {
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  return allowed.some(
    (a) =>
      a === '*' ||
      a === host ||
      a === hostname ||
      (a.startsWith('*.') && (hostname.endsWith(a.slice(1)) || hostname === a.slice(2))),
  );
}

/** What the engine hands to a step context. */
export interface ContextServices {
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  secrets: SecretsProvider;
  resources: RuntimeResources;
  /** Resources per tenant: `ctx.resources` is the step's tenant's view over `resources`. */
  tenants?: TenantResources;
  actions: ActionRegistry;
  fetch: typeof globalThis.fetch;
  /** Core's interaction desk: what `ctx.requestApproval` and `ctx.requestInput` ask. */
  interactions: {
    request(ctx: StepContext, type: 'approval' | 'input', options: PersonRequest): Promise<PersonAnswer>;
    draft(ctx: StepContext, requests: PersonDrafts): SuspendOptions;
  };
  /** Agent memory (`ctx.memory`). */
  memory: AgentMemory;
  /** Child runs of steps (`ctx.children`). */
  children: { forStep(step: StepContextImpl): ChildRuns };
  /** What `ctx.tokenBudgets` reads. */
  tokens: {
    budgets(
      tenantId: string,
      runId: string,
      run?: { limit: number; name: string },
    ): Promise<TokenBudgetState[]>;
  };
  /** Where `ctx.progress` goes. */
  progress: Pick<LiveProgress, 'push'>;
  /** Deployment grants by step type. */
  grants?: Record<string, PermissionGrant>;
  telemetry: EngineTelemetry;
}

/**
 * The context a handler receives. A class, so a step costs one allocation: the abort
 * signal, logger and permission checks are made only when a handler uses them.
 */
export class StepContextImpl implements StepContext {
  readonly idempotencyKey: string;
  readonly input: unknown;
  private controller?: AbortController;
  private abortReason: unknown;
  private aborted = false;
  private childLogger?: Logger;
  private saved?: { state: unknown };
  /** Set for a step of a segment that seals fields: what the handler hands out is sealed or scrubbed. */
  sealing?: StepSealing;

  constructor(
    readonly tenantId: string,
    readonly runId: string,
    readonly step: StepDefinition,
    private readonly type: StepTypeDefinition,
    private readonly rec: StepStateRecord,
    readonly attempt: number,
    readonly inputs: Record<string, unknown>,
    private readonly services: ContextServices,
    private readonly sink: CheckpointSink,
    /** The run's token budget (segment `token_budget`). */
    private readonly runBudget?: { limit: number; name: string },
  ) {
    this.idempotencyKey = `${runId}:${step.step_id}:${attempt}`;
    // One declared port (or none): the handler sees that value; several: an object keyed by port.
    this.input = handlerInput(declaredInputs(step, type), inputs);
  }

  get stepId(): string {
    return this.step.step_id;
  }
  /** The step's run header, as the driver that runs the step holds it. */
  get run(): RunRecord {
    return this.sink.run;
  }
  get config(): Record<string, unknown> {
    return (this.step.config ?? {}) as Record<string, unknown>;
  }
  get iteration(): number {
    return this.rec.iteration;
  }
  get resume(): unknown {
    return this.rec.suspension?.resume;
  }
  get suspended(): unknown {
    return this.rec.suspension?.payload;
  }
  get resumes(): number {
    return this.rec.suspension?.resumes ?? 0;
  }
  get checkpointed(): unknown {
    return this.saved ? this.saved.state : this.rec.checkpoint;
  }

  /** Set by the driver while a pause of the run is asked for. */
  pauseRequested = false;

  interrupt(...progress: unknown[]): never {
    throw new InterruptSignal(progress.length ? { state: progress[0] } : undefined);
  }

  async checkpoint(state: unknown, options?: CheckpointOptions): Promise<void> {
    if (this.aborted) {
      throw new LlmteamError(
        'LLMT_E_STEP_CANCELLED',
        `step "${this.stepId}" was aborted; its checkpoint was not saved`,
      );
    }
    const stored = this.sealing ? await this.sealing.sealCarried(state) : state;
    const opts =
      this.sealing && options?.events ? { ...options, events: this.sealing.scrub(options.events) } : options;
    const paused = await this.sink.checkpoint(this.stepId, this.attempt, this.rec.execution, stored, opts);
    this.saved = { state };
    if (paused) this.pauseRequested = true;
  }
  get clock(): Clock {
    return this.services.clock;
  }
  private ownResources?: RuntimeResources;
  get resources(): RuntimeResources {
    const tenants = this.services.tenants;
    if (!tenants) return this.services.resources;
    this.ownResources ??= tenants.view(this.tenantId, this.services.resources);
    return this.ownResources;
  }
  private stepActions?: StepActionsImpl;
  get actions(): StepActionsImpl {
    this.stepActions ??= new StepActionsImpl(this.services.actions, this);
    return this.stepActions;
  }
  /** Audit entries and events of the action calls made since the last commit. */
  takeActionRecords(): ActionCommitRecords | undefined {
    return this.stepActions?.take();
  }
  get logger(): Logger {
    if (!this.childLogger) {
      const logger = this.services.logger.child({
        runId: this.runId,
        stepId: this.step.step_id,
        attempt: this.attempt,
        traceId: this.trace.traceId,
        spanId: this.trace.spanId,
      });
      this.childLogger = this.sealing ? this.sealing.logger(logger) : logger;
    }
    return this.childLogger;
  }
  private stepTrace?: StepTrace;
  get trace(): StepTrace {
    if (!this.stepTrace) {
      const telemetry = this.services.telemetry;
      const context = telemetry.stepContext(this.sink.run, this.stepId, this.attempt);
      const { traceId, spanId, traceFlags } = trace.getSpanContext(context)!;
      this.stepTrace = {
        context,
        tracer: telemetry.tracer,
        traceId,
        spanId,
        traceparent: formatTraceparent(traceId, spanId, traceFlags),
      };
    }
    return this.stepTrace;
  }
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Aborts the handler's signal (cancel, timeout, engine stop). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  newId(prefix?: string): string {
    return this.services.ids(prefix);
  }

  memory(agentId: string = this.stepId): AgentMemoryScope {
    return this.services.memory.agent(this.tenantId, agentId);
  }

  private childRuns?: ChildRuns;
  get children(): ChildRuns {
    this.childRuns ??= this.services.children.forStep(this);
    return this.childRuns;
  }

  private emitted?: WorktrailEventDraft[];
  emit<K extends WorktrailEventType>(type: K, data: WorktrailEventMap[K]): void {
    if (typeof type !== 'string' || !type) {
      throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'ctx.emit: `type` must be a non-empty event type');
    }
    this.emitted ??= [];
    this.emitted.push({ type, data } as WorktrailEventDraft);
  }
  private audited?: StepAuditEntry[];
  audit<K extends AuditAction>(entry: StepAuditEntry<K>): void {
    if (!entry || typeof entry.action !== 'string' || !entry.action || typeof entry.actor !== 'string') {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        'ctx.audit: `action` (a registered audit action) and `actor` must be non-empty strings',
      );
    }
    this.audited ??= [];
    this.audited.push(entry as StepAuditEntry);
  }
  /** Audit entries the handler appended since the last call, for the commit of its outcome. */
  takeAudit(): StepAuditEntry[] | undefined {
    const entries = this.audited;
    this.audited = undefined;
    return entries;
  }
  /** Events the handler emitted since the last call, for the commit of its outcome. */
  takeEvents(): WorktrailEventDraft[] | undefined {
    const events = this.emitted;
    this.emitted = undefined;
    return events;
  }

  private boundHttp?: (target: string | URL, init?: RequestInit) => Promise<Response>;
  /** `fetch` limited to the hosts the step type may reach (made on first use: most steps never call it). */
  get http(): (target: string | URL, init?: RequestInit) => Promise<Response> {
    this.boundHttp ??= (target, init) => this.fetchAllowed(target, init);
    return this.boundHttp;
  }

  private async fetchAllowed(target: string | URL, init?: RequestInit): Promise<Response> {
    const hosts = allowedHosts(this.type, this.services.grants?.[this.type.type]);
    let url = new URL(String(target));
    let request: RequestInit = { ...init, signal: init?.signal ?? this.signal, redirect: 'manual' };
    // Redirects are followed here, each target checked like the first: an allowed host
    // cannot bounce a request somewhere the step may not reach.
    for (let hop = 0; ; hop++) {
      if (!hostAllowed(url, hosts)) {
        throw new LlmteamError(
          'LLMT_E_HOST_NOT_ALLOWED',
          `step type "${this.type.type}" may not reach ${url.host}; it may reach ${hosts.length ? hosts.join(', ') : 'no host'} (declare hosts in permissions.hosts, or grant them with the engine's \`permissions\` option)`,
          { retryable: false },
        );
      }
      const response = await this.services.fetch(url, request);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location || init?.redirect === 'manual')
        return response;
      if (hop >= 5)
        throw new LlmteamError('LLMT_E_HOST_NOT_ALLOWED', `too many redirects from ${String(target)}`, {
          retryable: false,
        });
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        // Credentials are for the origin they were meant for, never for where it redirects.
        const headers = new Headers(request.headers);
        for (const name of ['authorization', 'proxy-authorization', 'cookie']) headers.delete(name);
        request = { ...request, headers };
      }
      url = next;
      // 303 (and 301/302 after a POST, as browsers do) turns the request into a GET.
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) &&
          request.method &&
          request.method !== 'GET' &&
          request.method !== 'HEAD')
      ) {
        request = { ...request, method: 'GET', body: undefined };
      }
    }
  }

  get secrets(): { get(name: string): Promise<string> } {
    return { get: (name: string) => this.secret(name) };
  }

  private async secret(name: string): Promise<string> {
    const granted = this.services.grants?.[this.type.type]?.secrets ?? [];
    if (!(this.type.permissions?.secrets ?? []).includes(name) && !granted.includes(name)) {
      throw new LlmteamError(
        'LLMT_E_SECRET_NOT_ALLOWED',
        `step type "${this.type.type}" may not read secret "${name}"; declare it in permissions.secrets or grant it with the engine's \`permissions\` option`,
        {
          retryable: false,
        },
      );
    }
    const value = await this.services.secrets.get(name, { tenantId: this.tenantId });
    if (value === undefined) throw missingSecretError(name, providersOf(this.services.secrets));
    return value;
  }

  suspend(payload: unknown, options: SuspendOptions = {}): never {
    throw new SuspendSignal(payload, options);
  }

  requestApproval(options: PersonRequest): Promise<PersonAnswer> {
    return this.services.interactions.request(this, 'approval', options);
  }

  requestInput(options: PersonRequest): Promise<PersonAnswer> {
    return this.services.interactions.request(this, 'input', options);
  }

  progress(update: ProgressUpdate): void {
    const shown = this.sealing && update.text ? { ...update, text: this.sealing.scrub(update.text) } : update;
    this.services.progress.push(this.tenantId, this.runId, this.stepId, shown);
  }

  tokenBudgets(): Promise<TokenBudgetState[]> {
    return this.services.tokens.budgets(this.tenantId, this.runId, this.runBudget);
  }

  draftRequests(requests: PersonDrafts): SuspendOptions {
    return this.services.interactions.draft(this, requests);
  }
}
