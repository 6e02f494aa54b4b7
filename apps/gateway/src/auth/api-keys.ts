import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, Role, Store } from '@llmteam/core';

/** Prefix of every API key secret, so leaked keys are easy to find by scanners. */
export const API_KEY_PREFIX = 'llmt_';

/** What an authenticated caller is: its tenant and the actor passed to the engine. */
export interface AuthInfo {
  keyId: string;
  tenantId: string;
  subject: string;
  groups: string[];
  roles: Role[];
  /** When the key stops working (ISO time); absent: never. */
  expiresAt?: string;
}

/** Hex SHA-256 of a secret: what the store keeps instead of the secret. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new random secret `llmt_<43 base64url chars>` (256 bits). */
export function generateApiKeySecret(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Options of {@link createApiKey}. */
export interface CreateApiKeyOptions {
  tenantId: string;
  roles: Role[];
  name?: string;
  /** Person or service acting with the key. @default the key's name, else `key:<id>` */
  subject?: string;
  /** @default [] */
  groups?: string[];
  /** Use this secret instead of a random one (bootstrap keys). */
  secret?: string;
  /** When the key stops working (ISO time). @default never */
  expiresAt?: string;
  /** @default new Date() */
  now?: Date;
}

/** Creates and stores a key; the returned `secret` is never stored and cannot be shown again. */
export async function createApiKey(
  store: Pick<Store, 'putApiKey'>,
  options: CreateApiKeyOptions,
): Promise<{ record: ApiKeyRecord; secret: string }> {
  const secret = options.secret ?? generateApiKeySecret();
  const keyId = `key_${randomBytes(9).toString('base64url')}`;
  const record: ApiKeyRecord = {
    keyId,
    tenantId: options.tenantId,
    secretHash: hashApiKey(secret),
    roles: [...new Set(options.roles)],
    ...(options.name ? { name: options.name } : {}),
    subject: options.subject ?? options.name ?? `key:${keyId}`,
    groups: options.groups ?? [],
    createdAt: (options.now ?? new Date()).toISOString(),
    ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
  };
  await store.putApiKey(record);
  return { record, secret };
}

/** Reads a bearer token from an `Authorization` header value (or a bare key). */
export function parseBearer(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const trimmed = header.trim();
  const match = /^Bearer\s+(\S+)$/i.exec(trimmed);
  if (match) return match[1];
  return trimmed.startsWith(API_KEY_PREFIX) ? trimmed : undefined;
}

/** What a request acts as, from its key record. */
function toAuthInfo(record: ApiKeyRecord): AuthInfo {
  return {
    keyId: record.keyId,
    tenantId: record.tenantId,
    subject: record.subject,
    groups: record.groups,
    roles: record.roles,
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
  };
}

/**
 * Why a stored key cannot be used at `now`, or undefined when it can: revoked, expired, or
 * its tenant is suspended.
 */
export async function keyRefusal(
  store: Store,
  record: ApiKeyRecord | undefined,
  now: number,
): Promise<'unknown' | 'revoked' | 'expired' | 'suspended' | undefined> {
  if (!record) return 'unknown';
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return 'expired';
  if ((await store.getTenant(record.tenantId))?.suspendedAt) return 'suspended';
  return undefined;
}

/**
 * Looks a secret up by its hash; undefined for unknown, revoked or expired keys and keys of
 * a suspended tenant.
 */
export async function authenticate(
  store: Store,
  secret: string | undefined,
  now: number = Date.now(),
): Promise<AuthInfo | undefined> {
  if (!secret?.startsWith(API_KEY_PREFIX)) return undefined;
  const hash = hashApiKey(secret);
  const record = await store.findApiKeyByHash(hash);
  // The lookup is by hash already; the constant-time compare guards stores that match loosely.
  if (!record || !timingSafeEqual(Buffer.from(record.secretHash), Buffer.from(hash))) return undefined;
  if (await keyRefusal(store, record, now)) return undefined;
  return toAuthInfo(record);
}

/**
 * Makes sure `secret` is an admin key of tenant `default` (creating the tenant and the key
 * when missing). Used for `LLMTEAM_BOOTSTRAP_API_KEY` at start-up.
 */
export async function ensureBootstrapKey(
  store: Store,
  secret: string,
  now: Date = new Date(),
): Promise<AuthInfo> {
  if (!secret.startsWith(API_KEY_PREFIX) || secret.length < API_KEY_PREFIX.length + 16) {
    throw new TypeError(
      `LLMTEAM_BOOTSTRAP_API_KEY must start with "${API_KEY_PREFIX}" and have at least 16 more characters`,
    );
  }
  await ensureTenant(store, 'default', 'Default', now);
  const existing = await store.findApiKeyByHash(hashApiKey(secret));
  if (
    existing &&
    !existing.revokedAt &&
    existing.tenantId === 'default' &&
    existing.roles.includes('admin')
  ) {
    return toAuthInfo(existing);
  }
  if (existing) {
    // Never recreate a key an admin revoked or changed: that would bring a leaked key back.
    throw new TypeError(
      existing.revokedAt
        ? 'LLMTEAM_BOOTSTRAP_API_KEY was revoked; set a new key or unset it'
        : 'LLMTEAM_BOOTSTRAP_API_KEY belongs to a key that is not an admin key of tenant "default"; set a new key',
    );
  }
  const { record } = await createApiKey(store, {
    tenantId: 'default',
    roles: ['admin'],
    name: 'bootstrap',
    subject: 'admin',
    secret,
    now,
  });
  return toAuthInfo(record);
}

/** Creates a tenant record when it does not exist yet. */
export async function ensureTenant(
  store: Store,
  tenantId: string,
  name: string,
  now: Date = new Date(),
): Promise<void> {
  if (await store.getTenant(tenantId)) return;
  await store.putTenant({ tenantId, name, tier: 'enterprise', limits: {}, createdAt: now.toISOString() });
}
