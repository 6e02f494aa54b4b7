import type { SecretsProvider } from '../catalog/types.js';
import { LlmteamError } from '../errors.js';

/**
 * The `LLMT_E_SECRET_NOT_FOUND` error for secret `name`: names the secret, the providers
 * asked and where each looked, so the message says how to provide it (never a value).
 */
export function missingSecretError(
  name: string,
  providers: readonly SecretsProvider[],
  where?: { action?: string; channel?: string; field?: string },
): LlmteamError {
  const asked = providers.map((p) => p.name ?? 'unnamed');
  const places = providers.flatMap((p) => (p.describe ? [p.describe(name)] : []));
  const subject = where?.action
    ? `action "${where.action}": ${where.field ?? 'auth_config'} names secret`
    : where?.channel
      ? `channel "${where.channel}": option ${where.field ?? 'secret'} names secret`
      : 'secret';
  return new LlmteamError(
    'LLMT_E_SECRET_NOT_FOUND',
    `${subject} "${name}", which the secrets provider${asked.length === 1 ? '' : 's'} ${asked.map((n) => `"${n}"`).join(', ')} ${asked.length === 1 ? 'does' : 'do'} not have; provide it${places.length ? ` as ${places.join(' or ')}` : ''}`,
    {
      retryable: false,
      details: {
        secret: name,
        providers: asked,
        ...(where?.action ? { action: where.action, field: where.field } : {}),
        ...(where?.channel ? { channel: where.channel, field: where.field } : {}),
      },
    },
  );
}
