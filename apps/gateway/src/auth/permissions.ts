import type { Actor, Role, TenantEngine } from '@llmteam/core';
import type { GatewayContext } from '../context.js';
import { GatewayError, unauthenticatedError } from '../errors.js';
import type { AuthInfo } from './api-keys.js';

/** What a caller wants to do; each role grants a set of these. */
export type Permission = 'read' | 'answer' | 'operate' | 'admin' | 'unseal';

/**
 * Role -> permissions. Operators run things but do not approve them (separation of
 * duties); approvers answer but do not start runs; admins do everything but unseal, which
 * only an `unsealer` key may (an admin can create one; that is audited, and so is each unseal).
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read'],
  approver: ['read', 'answer'],
  operator: ['read', 'operate'],
  admin: ['read', 'answer', 'operate', 'admin'],
  unsealer: ['read', 'unseal'],
};

/** True when one of the caller's roles grants `permission`. */
export function can(auth: AuthInfo | undefined, permission: Permission): boolean {
  return !!auth && auth.roles.some((role) => ROLE_PERMISSIONS[role]?.includes(permission));
}

/** The authenticated caller, or an UNAUTHENTICATED error. */
export function requireAuth(auth: AuthInfo | undefined): AuthInfo {
  if (!auth) throw unauthenticatedError();
  return auth;
}

/** The caller, when it holds `permission`; FORBIDDEN otherwise. */
export function requirePermission(auth: AuthInfo | undefined, permission: Permission): AuthInfo {
  const caller = requireAuth(auth);
  if (!can(caller, permission)) {
    throw new GatewayError(
      'LLMT_E_GW_FORBIDDEN',
      `Roles [${caller.roles.join(', ')}] do not allow "${permission}"`,
    );
  }
  return caller;
}

/** The scope handed to every engine call: tenant always from the key. */
export function scopeOf(auth: AuthInfo): { tenantId: string; actor: Actor } {
  return {
    tenantId: auth.tenantId,
    actor: { subject: auth.subject, groups: auth.groups, roles: auth.roles },
  };
}

/**
 * The caller (when it holds `permission`) and the engine seen from its tenant, acting as
 * the caller: what every resolver works with instead of the engine and its store.
 */
export function tenantFor(
  ctx: Pick<GatewayContext, 'auth' | 'engine'>,
  permission: Permission,
): { auth: AuthInfo; tenant: TenantEngine } {
  const auth = requirePermission(ctx.auth, permission);
  return { auth, tenant: ctx.engine.forTenant(auth.tenantId, scopeOf(auth).actor) };
}
