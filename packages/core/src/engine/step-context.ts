import type { RuntimeResources, SecretsProvider, StepContext, StepTypeDefinition, SuspendOptions, Logger } from '../catalog/types.js';
import { LlmteamError } from '../errors.js';
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
    (a) => a === '*' || a === host || a === hostname || (a.startsWith('*.') && (hostname.endsWith(a.slice(1)) || hostname === a.slice(2))),
  );
}

export interface ContextArgs {
  tenantId: string;
  runId: string;
  def: StepDefinition;
  type: StepTypeDefinition;
  rec: StepStateRecord;
  attempt: number;
  inputs: Record<string, unknown>;
  signal: AbortSignal;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  secrets: SecretsProvider;
  resources: RuntimeResources;
  fetch: typeof globalThis.fetch;
}

/** Builds the context a handler receives, with `http` and `secrets` limited to what the type declares. */
export function createStepContext(args: ContextArgs): StepContext {
  const { def, type, rec } = args;
  const config = (def.config ?? {}) as Record<string, unknown>;
  const hosts = allowedHosts(type, config);
  const secretNames = new Set(type.permissions?.secrets ?? []);
  // One declared port (or none): the handler sees that value; several: an object keyed by port.
  const declared = def.inputs;
  const input = declared && declared.length > 1 ? args.inputs : args.inputs[declared?.[0]?.port_id ?? 'input'];
  return {
    tenantId: args.tenantId,
    runId: args.runId,
    stepId: def.step_id,
    step: def,
    config,
    inputs: args.inputs,
    input,
    attempt: args.attempt,
    iteration: rec.iteration,
    idempotencyKey: `${args.runId}:${def.step_id}:${args.attempt}`,
    signal: args.signal,
    logger: args.logger,
    clock: args.clock,
    resume: rec.suspension?.resume,
    suspended: rec.suspension?.payload,
    resumes: rec.suspension?.resumes ?? 0,
    resources: args.resources,
    newId: (prefix) => args.ids(prefix),
    http: async (target, init) => {
      const url = new URL(String(target));
      if (!hostAllowed(url, hosts)) {
        throw new LlmteamError(
          'LLMT_E_HOST_NOT_ALLOWED',
          `step type "${type.type}" may not reach ${url.host}; it declares ${hosts.length ? hosts.join(', ') : 'no hosts'} in permissions.hosts`,
          { retryable: false },
        );
      }
      return args.fetch(url, { ...init, signal: init?.signal ?? args.signal });
    },
    secrets: {
      async get(name) {
        if (!secretNames.has(name)) {
          throw new LlmteamError(
            'LLMT_E_SECRET_NOT_ALLOWED',
            `step type "${type.type}" may not read secret "${name}"; declare it in permissions.secrets`,
            { retryable: false },
          );
        }
        const value = await args.secrets.get(name, { tenantId: args.tenantId });
        if (value === undefined) {
          throw new LlmteamError('LLMT_E_SECRET_NOT_FOUND', `secret "${name}" is not set; provide it through the secrets provider (e.g. LLMTEAM_SECRET_${name.toUpperCase().replace(/[-.]/g, '_')})`, {
            retryable: false,
          });
        }
        return value;
      },
    },
    suspend(payload: unknown, options: SuspendOptions = {}): never {
      throw new SuspendSignal(payload, options);
    },
    requestApproval: () => Promise.reject(new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'human requests need an engine')),
    requestInput: () => Promise.reject(new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'human requests need an engine')),
  };
}
