import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  FEATURE_NAMES,
  type FeatureName,
  LIMIT_NAMES,
  type LicenceTerms,
  LlmteamError,
  parseDuration,
  signLicence,
  TENANT_TIERS,
  type TenantLimits,
  type TenantTier,
  verifyLicence,
} from '@llmteam/core';
import { type Command, Option } from 'commander';
import { describeLicence, licencePublicKey } from '../config/licence-config.js';
import { loadConfig } from '../config/load-config.js';
import { out } from './command-support.js';

function invalid(option: string, what: string): LlmteamError {
  return new LlmteamError('LLMT_E_INVALID_ARGUMENT', `${option} ${what}`, { details: { field: option } });
}

function readText(file: string, option: string): string {
  try {
    return readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw invalid(
      option,
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message})`,
    );
  }
}

function time(value: string, option: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw invalid(option, `must be an ISO 8601 time such as 2027-01-31T00:00:00Z, got ${value}`);
  return new Date(ms).toISOString();
}

function limits(pairs: string[] | undefined): TenantLimits | undefined {
  if (!pairs?.length) return undefined;
  const out: TenantLimits = {};
  for (const pair of pairs) {
    const m = /^([a-z_]+)=(\d+)$/.exec(pair);
    if (!m || !(LIMIT_NAMES as readonly string[]).includes(m[1]!))
      throw invalid('--limit', `takes NAME=N with NAME one of ${LIMIT_NAMES.join(', ')}, got ${pair}`);
    out[m[1] as keyof TenantLimits] = Number(m[2]);
  }
  return out;
}

/** Writes a file that must not exist yet (a key or licence is never overwritten by accident). */
function writeNew(file: string, text: string, mode: number): void {
  const path = resolve(file);
  if (existsSync(path)) throw invalid(file, 'exists already; remove it or name another file');
  writeFileSync(path, text, { mode, flag: 'wx' });
}

/**
 * Adds `llmteam licence keygen|issue|verify`: make an issuer's Ed25519 key pair, sign a
 * licence with its private key, and check a licence file against its public key.
 */
export function addLicenceCommands(program: Command): void {
  const licence = program.command('licence').description('licence files signed with Ed25519');
  licence
    .command('keygen')
    .description(
      "make an issuer's Ed25519 key pair: the private key signs licences, deployments configure the public key",
    )
    .requiredOption(
      '--private-key <file>',
      'where to write the private key (PEM, mode 0600); keep it with the issuer only',
    )
    .requiredOption('--public-key <file>', 'where to write the public key (PEM) deployments configure')
    .action((opts: { privateKey: string; publicKey: string }) => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      writeNew(opts.privateKey, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
      writeNew(opts.publicKey, publicKey.export({ format: 'pem', type: 'spki' }).toString(), 0o644);
      out(`private key ${resolve(opts.privateKey)}, public key ${resolve(opts.publicKey)}`);
    });
  licence
    .command('issue')
    .description(
      'sign a licence with an Ed25519 private key; prints the licence file (JSON) or writes it to --out',
    )
    .requiredOption('-k, --key <file>', "the issuer's Ed25519 private key (PEM)")
    .requiredOption('--licensee <name>', 'who the licence is for')
    .addOption(
      new Option('--tier <tier>', 'the highest tier a tenant may have')
        .choices(TENANT_TIERS)
        .makeOptionMandatory(),
    )
    .option('--expires-at <time>', 'when it stops being valid (ISO 8601)')
    .option(
      '--valid-for <duration>',
      'or: how long from --issued-at it is valid (ISO 8601 duration, e.g. P365D)',
    )
    .option('--issued-at <time>', 'when it is issued (ISO 8601)', new Date().toISOString())
    .option(
      '--limit <name=n...>',
      `a ceiling over every tenant's limit, e.g. concurrent_runs=50 (${LIMIT_NAMES.join(', ')})`,
    )
    .addOption(
      new Option(
        '--feature <name...>',
        'the features tenants may have at most (default: every feature)',
      ).choices(FEATURE_NAMES),
    )
    .option('--max-tenants <n>', 'how many tenants may exist besides default')
    .option('--id <id>', 'an id of the licence, shown in logs and errors')
    .option('-o, --out <file>', 'write the licence to this file (refused when it exists)')
    .action(
      (opts: {
        key: string;
        licensee: string;
        tier: TenantTier;
        expiresAt?: string;
        validFor?: string;
        issuedAt: string;
        limit?: string[];
        feature?: FeatureName[];
        maxTenants?: string;
        id?: string;
        out?: string;
      }) => {
        if ((opts.expiresAt === undefined) === (opts.validFor === undefined))
          throw invalid('--expires-at', 'or --valid-for is needed (one of them)');
        const issuedAt = time(opts.issuedAt, '--issued-at');
        const expiresAt =
          opts.expiresAt !== undefined
            ? time(opts.expiresAt, '--expires-at')
            : new Date(Date.parse(issuedAt) + parseDuration(opts.validFor, '--valid-for')).toISOString();
        if (Date.parse(expiresAt) <= Date.now())
          throw invalid('--expires-at', `${expiresAt} is past: the licence would be expired already`);
        if (opts.maxTenants !== undefined && !/^\d+$/.test(opts.maxTenants))
          throw invalid('--max-tenants', `must be a whole number, got ${opts.maxTenants}`);
        const terms: LicenceTerms = {
          ...(opts.id ? { licenceId: opts.id } : {}),
          licensee: opts.licensee,
          tier: opts.tier,
          ...(limits(opts.limit) ? { limits: limits(opts.limit) } : {}),
          ...(opts.feature ? { features: [...new Set(opts.feature)] } : {}),
          ...(opts.maxTenants !== undefined ? { maxTenants: Number(opts.maxTenants) } : {}),
          issuedAt,
          expiresAt,
        };
        const signed = signLicence(terms, readText(opts.key, '--key'));
        const text = `${JSON.stringify(signed, null, 2)}\n`;
        if (opts.out) {
          writeNew(opts.out, text, 0o644);
          out(`licence ${resolve(opts.out)}: ${describeLicence(signed)}; signed by key ${signed.keyId}`);
        } else process.stdout.write(text);
      },
    );
  licence
    .command('verify')
    .description(
      "check a licence file: its fields, its signature against the issuer's public key, and its expiry",
    )
    .argument('[file]', 'the licence file (default: the configured one)')
    .option('--public-key <file>', "the issuer's Ed25519 public key (PEM; default: the configured one)")
    .option('-c, --config <file>', 'llmteam.config.json|js|ts whose licence section names the file and key')
    .option('--json', 'print the licence as JSON')
    .action(
      async (file: string | undefined, opts: { publicKey?: string; config?: string; json?: boolean }) => {
        const needConfig = !file || !opts.publicKey;
        const loaded = needConfig
          ? await loadConfig({ file: opts.config ?? process.env.LLMTEAM_CONFIG })
          : undefined;
        const path =
          file ??
          process.env.LLMTEAM_LICENCE_FILE ??
          (loaded?.config.licence?.file ? resolve(loaded.dir, loaded.config.licence.file) : undefined);
        if (!path) throw invalid('file', 'is needed: name a licence file, or configure licence.file');
        const key = opts.publicKey
          ? readText(opts.publicKey, '--public-key')
          : licencePublicKey(loaded?.config.licence, loaded?.dir ?? process.cwd());
        if (!key)
          throw invalid(
            '--public-key',
            "is needed: the issuer's public key (PEM), or configure licence.publicKeyFile",
          );
        const verified = verifyLicence(readText(path, 'file'), key, { now: Date.now(), source: path });
        if (opts.json) out(JSON.stringify(verified));
        else out(`licence ${path}: valid; ${describeLicence(verified)}; signed by key ${verified.keyId}`);
      },
    );
}
