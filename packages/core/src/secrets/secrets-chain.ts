import type { SecretsProvider } from '../catalog/types.js';
import { SecretRedactor } from './secret-redactor.js';

/**
 * The engine's secrets: asks each provider in order (plugins' first, the host's last) and
 * registers every value it returns with the redactor, so no resolved secret leaves the
 * process in a log line, an error, an event, an audit entry or a notification.
 */
export class SecretsChain implements SecretsProvider {
  readonly name = 'chain';

  constructor(
    /** The providers, asked in order; plugins `unshift` theirs. */
    readonly providers: SecretsProvider[],
    readonly redactor: SecretRedactor = new SecretRedactor(),
    /** A tenant's own providers, asked before the shared ones. @default none */
    private readonly tenantProviders: (tenantId: string) => readonly SecretsProvider[] = () => [],
  ) {}

  async get(name: string, scope: { tenantId: string }): Promise<string | undefined> {
    const own = this.tenantProviders(scope.tenantId);
    for (const provider of own.length ? [...own, ...this.providers] : this.providers) {
      const value = await provider.get(name, scope);
      if (value !== undefined) {
        this.redactor.add(value);
        return value;
      }
    }
    return undefined;
  }

  describe(name: string): string {
    return this.providers.flatMap((p) => (p.describe ? [p.describe(name)] : [])).join(' or ');
  }
}

/** The providers behind `provider` (a chain's members, or itself), for error messages. */
export function providersOf(provider: SecretsProvider): readonly SecretsProvider[] {
  return provider instanceof SecretsChain ? provider.providers : [provider];
}
