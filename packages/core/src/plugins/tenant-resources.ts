import type { RuntimeResources, SecretsProvider } from '../catalog/types.js';
import { LlmteamError } from '../errors.js';
import type { LlmProvider } from '../llm/types.js';

/** Resources of one tenant, as `EngineOptions.tenantResources` takes them. */
export interface TenantResourceOptions {
  stores?: Record<string, unknown>;
  clients?: Record<string, unknown>;
  /** LLM providers by the name `llm_agent` steps use in `provider`. */
  llms?: Record<string, LlmProvider>;
  /** Asked before the engine's own secrets providers, for this tenant's steps, actions and plugins. */
  secrets?: SecretsProvider;
}

/** What a plugin (or code) registers for one tenant (see {@link TenantResources.registrar}). */
export interface TenantRegistrar {
  readonly tenantId: string;
  /** Registers an LLM provider under `provider.name` for this tenant only. */
  registerLlmProvider(provider: LlmProvider): void;
  /** A named client or store that only this tenant's steps reach through `ctx.resources`. */
  registerResource(kind: 'stores' | 'clients', name: string, value: unknown): void;
  /** A secrets provider asked first for this tenant's secrets. */
  registerSecretsProvider(provider: SecretsProvider): void;
}

interface OneTenant {
  stores: Record<string, unknown>;
  clients: Record<string, unknown>;
  llms: Record<string, LlmProvider>;
  secrets: SecretsProvider[];
}

/**
 * The runtime context per tenant: named stores, clients, LLM providers and secrets
 * providers registered for one tenant beside the engine-wide ones. A step resolves its own
 * tenant's over the engine-wide ones (same name: the tenant's wins) and never another
 * tenant's: each step gets a read-only view of its own ({@link TenantResources.view}).
 */
export class TenantResources {
  private readonly tenants = new Map<string, OneTenant>();

  constructor(initial: Record<string, TenantResourceOptions> = {}) {
    for (const [tenantId, options] of Object.entries(initial)) {
      const t = this.of(tenantId);
      Object.assign(t.stores, options.stores);
      Object.assign(t.clients, options.clients);
      Object.assign(t.llms, options.llms);
      if (options.secrets) t.secrets.push(options.secrets);
    }
  }

  private of(tenantId: string): OneTenant {
    if (typeof tenantId !== 'string' || !tenantId)
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        'tenant resources: `tenantId` must be a non-empty string',
      );
    let t = this.tenants.get(tenantId);
    if (!t) {
      t = { stores: {}, clients: {}, llms: {}, secrets: [] };
      this.tenants.set(tenantId, t);
    }
    return t;
  }

  /** Registers resources of `tenantId` (plugins get one through `PluginApi.forTenant`). */
  registrar(tenantId: string): TenantRegistrar {
    const t = this.of(tenantId);
    return {
      tenantId,
      registerLlmProvider: (provider) => {
        t.llms[provider.name] = provider;
      },
      registerResource: (kind, name, value) => {
        if (kind !== 'stores' && kind !== 'clients')
          throw new LlmteamError(
            'LLMT_E_INVALID_ARGUMENT',
            `registerResource for tenant "${tenantId}": kind must be "stores" or "clients" (got ${String(kind)})`,
          );
        t[kind][name] = value;
      },
      registerSecretsProvider: (provider) => {
        t.secrets.unshift(provider);
      },
    };
  }

  /** The secrets providers of `tenantId`, asked before the engine-wide ones. */
  secretsOf(tenantId: string): readonly SecretsProvider[] {
    return this.tenants.get(tenantId)?.secrets ?? [];
  }

  /**
   * What a step of `tenantId` sees: its tenant's resources over the engine-wide `shared`
   * ones, as a new read-only object (a child context of the step: nothing a step does to it
   * reaches another step or tenant).
   */
  view(tenantId: string, shared: RuntimeResources): RuntimeResources {
    const t = this.tenants.get(tenantId);
    return Object.freeze({
      stores: Object.freeze({ ...shared.stores, ...t?.stores }),
      clients: Object.freeze({ ...shared.clients, ...t?.clients }),
      llms: Object.freeze({ ...shared.llms, ...t?.llms }),
      actions: Object.freeze({ ...shared.actions }),
    });
  }
}

/** Asks `tenant`'s providers, then `shared`, for a secret; the first value found wins. */
export function tenantSecrets(tenants: TenantResources, shared: readonly SecretsProvider[]): SecretsProvider {
  return {
    async get(name, scope) {
      for (const provider of [...tenants.secretsOf(scope.tenantId), ...shared]) {
        const value = await provider.get(name, scope);
        if (value !== undefined) return value;
      }
      return undefined;
    },
  };
}
