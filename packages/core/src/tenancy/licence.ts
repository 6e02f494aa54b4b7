/**
 * Licence files: a JSON document of the deployment's terms (tier, limit ceilings, features,
 * tenant count, validity) signed with Ed25519 by its issuer, verified against the public key
 * the deployment is configured with.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { LlmteamError } from '../errors.js';
import type { TenantTier } from '../store/registry-records.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';
import type { DeploymentTerms } from './tenant-limits.js';
import { FEATURE_NAMES, type FeatureName, LIMIT_NAMES, TENANT_TIERS, type TenantLimits } from './tiers.js';

/** What a licence grants: everything but the signature and the fields signing adds. */
export interface LicenceTerms {
  /** An id of the issuer's choosing, shown in logs and errors. @default none */
  licenceId?: string;
  /** Who the licence is for (shown at start and in `llmteam licence verify`). */
  licensee: string;
  /** The highest tier a tenant may have; also the tier of the implicit `default` tenant. */
  tier: TenantTier;
  /** Ceilings over every tenant's limits, by limit name. @default {} (the tiers' own) */
  limits?: TenantLimits;
  /** The features tenants may have, at most (each tenant still gets only its tier's). @default every feature */
  features?: FeatureName[];
  /** How many tenants (besides the implicit `default`) may exist. @default unlimited */
  maxTenants?: number;
  /** When it was issued (ISO 8601). */
  issuedAt: string;
  /** When it stops being valid (ISO 8601): the gateway refuses to start from then on. */
  expiresAt: string;
}

/** A signed licence, as stored in a licence file (one JSON object). */
export interface Licence extends LicenceTerms {
  /** Format of the file; only `1` exists. */
  format: 1;
  /** Id of the signing key: the first 16 hex digits of SHA-256 of its raw public key. */
  keyId: string;
  /** Ed25519 signature (base64) over {@link licenceMessage}. */
  signature: string;
}

/** What was wrong with a licence (`LicenceError.details.problem`). */
export type LicenceProblem = 'malformed' | 'unknown_tier' | 'signature' | 'expired' | 'key';

/** What {@link LicenceError} carries in `details`. */
export interface LicenceErrorDetails {
  problem: LicenceProblem;
  /** JSON path of the field at fault (`$.limits.runs_per_day`), for `malformed` and `unknown_tier`. */
  path?: string;
  /** When the licence expired, for `expired`. */
  expiresAt?: string;
  /** Where the licence came from (a file path), when known. */
  source?: string;
}

/**
 * A licence is malformed, not signed by the configured key, or expired
 * (`LLMT_E_LICENCE_INVALID`); `details` is a {@link LicenceErrorDetails}.
 */
export class LicenceError extends LlmteamError {
  declare readonly details: Record<string, unknown> & LicenceErrorDetails;
  constructor(message: string, details: LicenceErrorDetails, cause?: unknown) {
    super('LLMT_E_LICENCE_INVALID', message, { details: { ...details }, cause });
    this.name = 'LicenceError';
  }
}

/** The fields a licence file may have, in the order `signLicence` writes them. */
const LICENCE_FIELDS = [
  'format',
  'licenceId',
  'licensee',
  'tier',
  'limits',
  'features',
  'maxTenants',
  'issuedAt',
  'expiresAt',
  'keyId',
  'signature',
] as const;

/** The bytes a licence's signature covers: a domain prefix and every field but the signature, canonical. */
export function licenceMessage(licence: Omit<Licence, 'signature'>): Buffer {
  const { signature: _s, ...fields } = licence as Licence;
  return Buffer.from(`llmteam-licence\n${canonicalJson(fields)}`);
}

/** The key id of an Ed25519 public key (as in a licence's `keyId`). */
export function licenceKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return sha256(der.subarray(der.length - 32).toString('hex')).slice(0, 16);
}

function readKey(pem: string | KeyObject, kind: 'private' | 'public'): KeyObject {
  let key: KeyObject;
  try {
    if (typeof pem !== 'string')
      key = kind === 'public' && pem.type === 'private' ? createPublicKey(pem) : pem;
    else key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (error) {
    throw new LicenceError(
      `the licence ${kind} key cannot be read (${(error as Error).message}); give an Ed25519 key in PEM, e.g. from \`llmteam licence keygen\` or \`openssl genpkey -algorithm ed25519\``,
      { problem: 'key' },
      error,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519' || (kind === 'private' && key.type !== 'private'))
    throw new LicenceError(
      `the licence ${kind} key is not an Ed25519 ${kind} key (it is ${key.asymmetricKeyType ?? 'unknown'} ${key.type}); give an Ed25519 key in PEM`,
      { problem: 'key' },
    );
  return key;
}

/**
 * Signs `terms` with an Ed25519 private key (PEM or a KeyObject). The terms are checked
 * first, so an issuer cannot sign a licence a gateway would refuse as malformed.
 * @throws LicenceError when the key is no Ed25519 private key or a field is malformed.
 */
export function signLicence(terms: LicenceTerms, privateKey: string | KeyObject): Licence {
  const key = readKey(privateKey, 'private');
  const unsigned = {
    format: 1 as const,
    ...terms,
    keyId: licenceKeyId(createPublicKey(key)),
  };
  checkShape({ ...unsigned, signature: '' }, undefined);
  const signature = sign(null, licenceMessage(unsigned), key).toString('base64');
  const licence = { ...unsigned, signature } as Licence;
  // Written in a fixed order so licence files read alike.
  const ordered: Record<string, unknown> = {};
  for (const field of LICENCE_FIELDS) if (licence[field] !== undefined) ordered[field] = licence[field];
  return ordered as unknown as Licence;
}

/** Options of {@link verifyLicence}. */
export interface VerifyLicenceOptions {
  /** The time to check expiry at (ms since the epoch; pass the engine clock's `now()`). */
  now: number;
  /** Where the licence came from (a file path), named in errors. */
  source?: string;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function malformed(
  source: string | undefined,
  path: string,
  what: string,
  problem: LicenceProblem = 'malformed',
) {
  return new LicenceError(`${prefix(source)}${path} ${what}`, {
    problem,
    path,
    ...(source ? { source } : {}),
  });
}

function prefix(source: string | undefined): string {
  return source ? `licence ${source}: ` : 'licence: ';
}

/** Refuses a licence of the wrong shape, naming the field by its JSON path. */
function checkShape(value: unknown, source: string | undefined): asserts value is Licence {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed(source, '$', 'must be a JSON object as written by `llmteam licence issue`');
  const l = value as Record<string, unknown>;
  for (const key of Object.keys(l))
    if (!(LICENCE_FIELDS as readonly string[]).includes(key))
      throw malformed(
        source,
        `$.${key}`,
        `is not a licence field; known fields: ${LICENCE_FIELDS.join(', ')}`,
      );
  if (l.format !== 1) throw malformed(source, '$.format', `must be 1, got ${JSON.stringify(l.format)}`);
  if (l.licenceId !== undefined && (typeof l.licenceId !== 'string' || l.licenceId === ''))
    throw malformed(source, '$.licenceId', 'must be a non-empty string');
  if (typeof l.licensee !== 'string' || l.licensee.trim() === '')
    throw malformed(source, '$.licensee', 'must be a non-empty string naming who the licence is for');
  if (!(TENANT_TIERS as readonly unknown[]).includes(l.tier))
    throw malformed(
      source,
      '$.tier',
      `is not a tier: ${JSON.stringify(l.tier)}; tiers are ${TENANT_TIERS.join(', ')}`,
      'unknown_tier',
    );
  if (l.limits !== undefined) {
    if (typeof l.limits !== 'object' || l.limits === null || Array.isArray(l.limits))
      throw malformed(source, '$.limits', 'must be an object of limit name to number');
    for (const [name, n] of Object.entries(l.limits)) {
      if (!(LIMIT_NAMES as readonly string[]).includes(name))
        throw malformed(source, `$.limits.${name}`, `is not a limit; limits are ${LIMIT_NAMES.join(', ')}`);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
        throw malformed(
          source,
          `$.limits.${name}`,
          `must be a whole number of 0 or more, got ${JSON.stringify(n)}`,
        );
    }
  }
  if (l.features !== undefined) {
    if (!Array.isArray(l.features))
      throw malformed(source, '$.features', 'must be an array of feature names');
    for (const [i, f] of l.features.entries())
      if (!(FEATURE_NAMES as readonly unknown[]).includes(f))
        throw malformed(
          source,
          `$.features[${i}]`,
          `is not a feature: ${JSON.stringify(f)}; features are ${FEATURE_NAMES.join(', ')}`,
        );
  }
  if (
    l.maxTenants !== undefined &&
    (typeof l.maxTenants !== 'number' || !Number.isInteger(l.maxTenants) || l.maxTenants < 0)
  )
    throw malformed(
      source,
      '$.maxTenants',
      `must be a whole number of 0 or more, got ${JSON.stringify(l.maxTenants)}`,
    );
  for (const field of ['issuedAt', 'expiresAt'] as const) {
    const t = l[field];
    if (typeof t !== 'string' || !ISO_TIME.test(t) || Number.isNaN(Date.parse(t)))
      throw malformed(
        source,
        `$.${field}`,
        `must be an ISO 8601 time such as 2027-01-31T00:00:00Z, got ${JSON.stringify(t)}`,
      );
  }
  if (Date.parse(l.expiresAt as string) <= Date.parse(l.issuedAt as string))
    throw malformed(source, '$.expiresAt', `(${l.expiresAt}) must be after issuedAt (${l.issuedAt})`);
  if (typeof l.keyId !== 'string') throw malformed(source, '$.keyId', 'must be the signing key id');
  if (typeof l.signature !== 'string')
    throw malformed(source, '$.signature', 'must be a base64 Ed25519 signature');
}

/**
 * Verifies a licence (its JSON text, or the parsed object): the shape of every field, the
 * Ed25519 signature against `publicKey`, and that it has not expired at `options.now`.
 * Returns the licence.
 * @throws LicenceError naming the problem: `malformed` (with the field's JSON path),
 * `unknown_tier`, `signature` (not signed by this key, or altered since), `expired` (with
 * the date), `key` (the public key is no Ed25519 key).
 */
export function verifyLicence(
  licence: string | unknown,
  publicKey: string | KeyObject,
  options: VerifyLicenceOptions,
): Licence {
  const { source } = options;
  const key = readKey(publicKey, 'public');
  let value: unknown = licence;
  if (typeof licence === 'string') {
    try {
      value = JSON.parse(licence);
    } catch (error) {
      throw new LicenceError(
        `${prefix(source)}not valid JSON (${(error as Error).message}); a licence file is the JSON object \`llmteam licence issue\` writes`,
        { problem: 'malformed', path: '$', ...(source ? { source } : {}) },
        error,
      );
    }
  }
  checkShape(value, source);
  let good = false;
  try {
    good = verify(null, licenceMessage(value), key, Buffer.from(value.signature, 'base64'));
  } catch {
    good = false;
  }
  if (!good) {
    const configured = licenceKeyId(key);
    const why =
      value.keyId === configured
        ? 'it was altered after signing'
        : `it names signing key ${value.keyId}, the configured public key is ${configured}`;
    throw new LicenceError(
      `${prefix(source)}the signature does not verify with the configured public key (${why}); ask the issuer for a licence signed with the key whose public half is configured`,
      { problem: 'signature', ...(source ? { source } : {}) },
    );
  }
  if (Date.parse(value.expiresAt) <= options.now)
    throw new LicenceError(
      `${prefix(source)}the licence of ${value.licensee}${value.licenceId ? ` (${value.licenceId})` : ''} expired on ${new Date(Date.parse(value.expiresAt)).toISOString()}; install a renewed licence`,
      { problem: 'expired', expiresAt: value.expiresAt, ...(source ? { source } : {}) },
    );
  return value;
}

/** The deployment terms a verified licence sets (`EngineOptions.tenancy.terms`). */
export function licenceTerms(licence: Licence): DeploymentTerms {
  return {
    tier: licence.tier,
    ...(licence.limits ? { limits: { ...licence.limits } } : {}),
    ...(licence.features ? { features: [...licence.features] } : {}),
    ...(licence.maxTenants !== undefined ? { maxTenants: licence.maxTenants } : {}),
    expiresAt: licence.expiresAt,
    licensee: licence.licensee,
    ...(licence.licenceId ? { licenceId: licence.licenceId } : {}),
  };
}
