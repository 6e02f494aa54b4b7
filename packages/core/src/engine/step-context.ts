import type {
  Logger,
  RuntimeResources,
  SecretsProvider,
  StepContext,
  StepTypeDefinition,
  SuspendOptions,
} from '../catalog/types.js';
import { LlmteamError } from '../errors.js';
import type { HumanOutcome, HumanRequestOptions } from '../human/types.js';
import type { StepDefinition } from '../segment/types.js';
import type { StepStateRecord } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { IdGenerator } from '../util/ids.js';
import { SuspendSignal } from './run-driver.js';

/** Hosts a step type may reach: exact names, `*.example.com` wildcards, `*`, or `$config.<key>` (the host of a config URL). */
export function allowedHosts(type: StepTypeDefinition, config: Record<string, unknown>): string[] {
  const hosts: string[] = [];
  for (const entry of type.permissions?.hosts ?? []) {
    if (entry.startsWith('$config.')) {
      const value = config[entry.slice('$config.'.length)];
      if (typeof value === 'string') {
        try {
          hosts.push(new URL(value).host.toLowerCase());
        } catch {
          // An invalid URL allows nothing; validation reports it.
        }
      }
    } else hosts.push(entry.toLowerCase());
  }
  return hosts;
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
  fetch: typeof globalThis.fetch;
  human: {
    request(
      ctx: StepContext,
      type: 'approval' | 'input',
      options: HumanRequestOptions,
    ): Promise<HumanOutcome>;
  };
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
  /** Counts human requests within this invocation (the k-th call returns the k-th answer). */
  humanCalls = 0;

  constructor(
    readonly tenantId: string,
    readonly runId: string,
    readonly step: StepDefinition,
    private readonly type: StepTypeDefinition,
    private readonly rec: StepStateRecord,
    readonly attempt: number,
    readonly inputs: Record<string, unknown>,
    private readonly services: ContextServices,
  ) {
    this.idempotencyKey = `${runId}:${step.step_id}:${attempt}`;
    // One declared port (or none): the handler sees that value; several: an object keyed by port.
    const declared = step.inputs;
    this.input = declared && declared.length > 1 ? inputs : inputs[declared?.[0]?.port_id ?? 'input'];
  }

  get stepId(): string {
    return this.step.step_id;
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
  get clock(): Clock {
    return this.services.clock;
  }
  get resources(): RuntimeResources {
    return this.services.resources;
  }
  get logger(): Logger {
    this.childLogger ??= this.services.logger.child({
      runId: this.runId,
      stepId: this.step.step_id,
      attempt: this.attempt,
    });
    return this.childLogger;
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

  readonly http = async (target: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(target));
    const hosts = allowedHosts(this.type, this.config);
    if (!hostAllowed(url, hosts)) {
      throw new LlmteamError(
        'LLMT_E_HOST_NOT_ALLOWED',
        `step type "${this.type.type}" may not reach ${url.host}; it declares ${hosts.length ? hosts.join(', ') : 'no hosts'} in permissions.hosts`,
        { retryable: false },
      );
    }
    return this.services.fetch(url, { ...init, signal: init?.signal ?? this.signal });
  };

  get secrets(): { get(name: string): Promise<string> } {
    return { get: (name: string) => this.secret(name) };
  }

  private async secret(name: string): Promise<string> {
    if (!(this.type.permissions?.secrets ?? []).includes(name)) {
      throw new LlmteamError(
        'LLMT_E_SECRET_NOT_ALLOWED',
        `step type "${this.type.type}" may not read secret "${name}"; declare it in permissions.secrets`,
        {
          retryable: false,
        },
      );
    }
    const value = await this.services.secrets.get(name, { tenantId: this.tenantId });
    if (value === undefined) {
      throw new LlmteamError(
        'LLMT_E_SECRET_NOT_FOUND',
        `secret "${name}" is not set; provide it through the secrets provider (e.g. LLMTEAM_SECRET_${name.toUpperCase().replace(/[-.]/g, '_')})`,
        { retryable: false },
      );
    }
    return value;
  }

  suspend(payload: unknown, options: SuspendOptions = {}): never {
    throw new SuspendSignal(payload, options);
  }

  requestApproval(options: HumanRequestOptions): Promise<HumanOutcome> {
    return this.services.human.request(this, 'approval', options);
  }

  requestInput(options: HumanRequestOptions): Promise<HumanOutcome> {
    return this.services.human.request(this, 'input', options);
  }
}
