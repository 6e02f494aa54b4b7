import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ActionConfig, parseDuration } from '@llmteam/core';
import { GatewayError } from '../errors.js';
import { checkTelemetryConfig, type TelemetryConfig } from '../observability/tracing.js';
import { type AuditConfig, checkAuditConfig } from './audit-config.js';
import { checkDirectoryConfig, type DirectoryConfig } from './directory-config.js';
import { checkLicenceConfig, type LicenceConfig } from './licence-config.js';
import { checkSealingConfig, type SealingConfig } from './sealing-keys.js';
import { checkSecretsConfig, type SecretsConfig } from './secrets-config.js';

/**
 * A plugin (or store) entry: its package name, or `[name, options]`, or `[name, options,
 * { "tenant": "acme" }]` to register its LLM providers, resources and secrets providers for
 * that tenant only.
 */
export type PluginEntry = string | [string, Record<string, unknown>?, { tenant?: string }?];

/** The contents of `llmteam.config.json|.js|.ts` (ARCHITECTURE section 7). */
export interface LlmteamConfig {
  /** Store plugin and its options. @default ["@llmteam/store-sqlite", { path: ".llmteam/llmteam.sqlite" }] */
  store?: PluginEntry;
  /** Plugins to load, in order. @default [] */
  plugins?: PluginEntry[];
  /** Gateway settings the config may carry (the command line wins). */
  gateway?: { port?: number; publicUrl?: string };
  /**
   * Hosts and secrets granted to step types beyond their own declarations, e.g.
   * `{ "http_action": { "hosts": ["api.example.com"], "secrets": ["erp_token"] } }`.
   * @default {}
   */
  permissions?: Record<string, { hosts?: string[]; secrets?: string[] }>;
  /**
   * Named actions that `action` steps and agent tools call, e.g. `{ "check_inventory": {
   * "type": "webhook", "url": "...", "auth_type": "bearer", "auth_config": { "token_secret":
   * "erp_token" } } }`. Secrets are named, never inlined. @default {}
   */
  actions?: Record<string, ActionConfig>;
  /**
   * Outbound safety of HTTP actions: internal addresses (or CIDR ranges) actions may reach,
   * e.g. `{ "allow": ["10.20.0.0/16"] }`; all other loopback, private, link-local and
   * metadata addresses are refused. @default { "allow": [] }
   */
  outbound?: { allow?: string[] };
  /**
   * OpenTelemetry tracing: `{ "otlp": { "endpoint": "http://127.0.0.1:4318" }, "serviceName":
   * "llmteam" }` exports spans of runs, steps, model, tool and action calls and waits over
   * OTLP/HTTP. @default off
   */
  telemetry?: TelemetryConfig;
  /**
   * Model prices (per million tokens, by model name) for the cost estimates of `Run.usage` and
   * `Step.usage`, and token budgets per tenant and period checked before each model call:
   * `{ "prices": { "gpt-4o-mini": { "input": 0.15, "output": 0.6, "cached_input": 0.075 } },
   * "tenant_budgets": { "acme": { "tokens": 2000000, "period": "month" } } }`. @default none
   */
  llm?: {
    prices?: Record<string, { input: number; output: number; cached_input?: number }>;
    tenant_budgets?: Record<string, { tokens: number; period: 'hour' | 'day' | 'week' | 'month' }>;
  };
  /** Audit checkpoints: signing key, schedule and external anchors (see {@link AuditConfig}). @default development key, hourly, no anchors */
  audit?: AuditConfig;
  /**
   * Key-encryption keys of sealed fields: `{ "key_file": "sealing-keys.json" }` or `{ "key_env":
   * "MY_KEYS" }`. @default the `LLMTEAM_SEALING_KEYS` variable, else (not in production) a
   * development key
   */
  sealing?: SealingConfig;
  /**
   * Where secrets come from: `{ "provider": "file", "dir": "/run/secrets" }`, or a plugin
   * provider's name (`{ "provider": "vault" }`). @default `{ "provider": "env" }`
   */
  secrets?: SecretsConfig;
  /** People and their groups and skills, for assignment strategies (see {@link DirectoryConfig}). @default none */
  directory?: DirectoryConfig;
  /**
   * How often the running gateway applies each tenant's retention policy (set with
   * `setRetention` or `llmteam retention`): `{ "sweepEvery": "PT1H" }` (ISO 8601 or seconds;
   * 0 turns it off). @default { "sweepEvery": "PT1H" }
   */
  retention?: { sweepEvery?: string | number };
  /**
   * The deployment's licence (see {@link LicenceConfig}): `{ "file": "llmteam.licence",
   * "publicKeyFile": "licence-public.pem" }`, verified at start (a malformed, altered or
   * expired licence stops the start with `LLMT_E_LICENCE_INVALID`). @default none: every
   * tenant keeps its own tier and `default` is `enterprise`
   */
  licence?: LicenceConfig;
}

/** The top-level keys a config may have; any other is refused. */
export const CONFIG_KEYS = [
  'store',
  'plugins',
  'gateway',
  'permissions',
  'actions',
  'outbound',
  'telemetry',
  'llm',
  'audit',
  'sealing',
  'directory',
  'retention',
  'secrets',
  'licence',
] as const;

/** The keys of the config's `gateway` section. */
const GATEWAY_KEYS = ['port', 'publicUrl'];

/** Refuses keys a config section does not know, naming them and the known ones. */
function refuseUnknown(
  value: Record<string, unknown>,
  known: readonly string[],
  where: string,
  hints: Record<string, string> = {},
): void {
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (!unknown.length) return;
  const hint = unknown.flatMap((k) => (hints[k] ? [` (${k}: ${hints[k]})`] : [])).join('');
  throw new GatewayError(
    'LLMT_E_GW_CONFIG',
    `${where}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}${hint}; known keys: ${known.join(', ')}`,
  );
}

/** A loaded config and the directory its package names resolve from. */
export interface LoadedConfig {
  config: LlmteamConfig;
  /** Directory of the config file (or the working directory when there is none). */
  dir: string;
  /** Path of the file read, if any. */
  file?: string;
}

/** Config file names looked for, in order. */
export const CONFIG_FILE_NAMES = [
  'llmteam.config.json',
  'llmteam.config.js',
  'llmteam.config.mjs',
  'llmteam.config.ts',
];

function check(config: unknown, file: string): LlmteamConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `${file} must hold an object like { "store": [...], "plugins": [...] }`,
    );
  }
  const c = config as Record<string, unknown>;
  refuseUnknown(c, CONFIG_KEYS, file);
  if (c.gateway !== undefined) {
    if (typeof c.gateway !== 'object' || c.gateway === null || Array.isArray(c.gateway))
      throw new GatewayError(
        'LLMT_E_GW_CONFIG',
        `${file}: gateway must be { "port": 4000, "publicUrl": "..." }`,
      );
    refuseUnknown(c.gateway as Record<string, unknown>, GATEWAY_KEYS, `${file}: gateway`, {
      slackSigningSecret: 'now the "signingSecret" option of the @llmteam/notify-slack plugin',
    });
  }
  const entry = (value: unknown, where: string) => {
    const ok =
      typeof value === 'string' ||
      (Array.isArray(value) &&
        typeof value[0] === 'string' &&
        (value[1] === undefined || (typeof value[1] === 'object' && value[1] !== null)) &&
        (value[2] === undefined ||
          (typeof value[2] === 'object' &&
            value[2] !== null &&
            Object.keys(value[2]).every((k) => k === 'tenant') &&
            typeof (value[2] as { tenant?: unknown }).tenant === 'string' &&
            (value[2] as { tenant: string }).tenant.length > 0)));
    if (!ok)
      throw new GatewayError(
        'LLMT_E_GW_CONFIG',
        `${file}: ${where} must be a package name, [name, { options }] or [name, { options }, { "tenant": "<id>" }]`,
      );
  };
  if (c.store !== undefined) entry(c.store, 'store');
  if (c.plugins !== undefined) {
    if (!Array.isArray(c.plugins))
      throw new GatewayError('LLMT_E_GW_CONFIG', `${file}: plugins must be an array`);
    for (const [i, p] of c.plugins.entries()) entry(p, `plugins[${i}]`);
  }
  if (c.permissions !== undefined) {
    const ok =
      typeof c.permissions === 'object' &&
      c.permissions !== null &&
      !Array.isArray(c.permissions) &&
      Object.values(c.permissions).every(
        (g) =>
          typeof g === 'object' &&
          g !== null &&
          ['hosts', 'secrets'].every((k) => {
            const list = (g as Record<string, unknown>)[k];
            return list === undefined || (Array.isArray(list) && list.every((x) => typeof x === 'string'));
          }),
      );
    if (!ok) {
      throw new GatewayError(
        'LLMT_E_GW_CONFIG',
        `${file}: permissions must map step types to { "hosts": [...], "secrets": [...] }`,
      );
    }
  }
  if (c.outbound !== undefined) {
    const allow = (c.outbound as { allow?: unknown } | null)?.allow;
    if (
      typeof c.outbound !== 'object' ||
      c.outbound === null ||
      (allow !== undefined && !(Array.isArray(allow) && allow.every((a) => typeof a === 'string')))
    )
      throw new GatewayError(
        'LLMT_E_GW_CONFIG',
        `${file}: outbound must be { "allow": ["10.20.0.0/16", ...] }`,
      );
  }
  if (c.telemetry !== undefined) checkTelemetryConfig(c.telemetry, file);
  if (c.llm !== undefined) checkLlmConfig(c.llm, file);
  if (c.audit !== undefined) checkAuditConfig(c.audit, file);
  if (c.sealing !== undefined) checkSealingConfig(c.sealing, file);
  if (c.secrets !== undefined) checkSecretsConfig(c.secrets, file);
  if (c.directory !== undefined) checkDirectoryConfig(c.directory, file);
  if (c.licence !== undefined) checkLicenceConfig(c.licence, file);
  if (c.retention !== undefined) {
    const r = c.retention as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw new GatewayError('LLMT_E_GW_CONFIG', `${file}: retention must be { "sweepEvery": "PT1H" }`);
    refuseUnknown(r, ['sweepEvery'], `${file}: retention`);
    try {
      if (r.sweepEvery !== undefined) parseDuration(r.sweepEvery, 'retention.sweepEvery');
    } catch (error) {
      throw new GatewayError('LLMT_E_GW_CONFIG', `${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (c.actions !== undefined) {
    if (typeof c.actions !== 'object' || c.actions === null || Array.isArray(c.actions))
      throw new GatewayError('LLMT_E_GW_CONFIG', `${file}: actions must map action names to { "type": ... }`);
    for (const [name, action] of Object.entries(c.actions)) {
      if (
        typeof action !== 'object' ||
        action === null ||
        typeof (action as { type?: unknown }).type !== 'string'
      )
        throw new GatewayError(
          'LLMT_E_GW_CONFIG',
          `${file}: actions.${name} must be an object with a "type" (webhook, rest_api, function, database, message_queue, grpc)`,
        );
    }
  }
  return c as LlmteamConfig;
}

/**
 * Reads the config: `file` when given, else the first of {@link CONFIG_FILE_NAMES} in
 * `cwd`; none found gives the defaults. `.js`/`.ts` files default-export the object
 * (`.ts` needs a TypeScript-aware runtime such as tsx).
 */
export async function loadConfig(options: { file?: string; cwd?: string } = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const file = options.file
    ? resolve(cwd, options.file)
    : CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((f) => existsSync(f));
  if (!file) return { config: {}, dir: cwd };
  if (!existsSync(file)) throw new GatewayError('LLMT_E_GW_CONFIG', `Config file ${file} does not exist`);
  let raw: unknown;
  try {
    if (file.endsWith('.json')) raw = JSON.parse(readFileSync(file, 'utf8'));
    else raw = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
  } catch (cause) {
    throw new GatewayError('LLMT_E_GW_CONFIG', `Cannot read config ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return { config: check(raw, file), dir: dirname(file), file };
}

/** Checks the `llm` section: prices are numbers per model, budgets a token count and a period. */
function checkLlmConfig(llm: unknown, file: string): void {
  const fail = (where: string, what: string): never => {
    throw new GatewayError('LLMT_E_GW_CONFIG', `${file}: llm.${where} ${what}`);
  };
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(llm)) fail('', 'must be { "prices": {...}, "tenant_budgets": {...} }');
  if (!isMap(llm)) return;
  refuseUnknown(llm, ['prices', 'tenant_budgets'], `${file}: llm`);
  if (llm.prices !== undefined) {
    if (!isMap(llm.prices)) fail('prices', 'must map model names to { "input": n, "output": n }');
    for (const [model, value] of Object.entries(llm.prices as Record<string, unknown>)) {
      const price = (isMap(value) ? value : {}) as Record<string, unknown>;
      if (!isMap(value)) fail(`prices.${model}`, 'must be { "input": n, "output": n, "cached_input": n }');
      for (const key of ['input', 'output', 'cached_input'])
        if (
          (key !== 'cached_input' || price[key] !== undefined) &&
          !(typeof price[key] === 'number' && (price[key] as number) >= 0)
        )
          fail(`prices.${model}.${key}`, 'must be a price per million tokens (a number >= 0)');
    }
  }
  if (llm.tenant_budgets !== undefined) {
    if (!isMap(llm.tenant_budgets))
      fail('tenant_budgets', 'must map tenant ids to { "tokens": n, "period": "day" }');
    for (const [tenant, budget] of Object.entries(llm.tenant_budgets as Record<string, unknown>)) {
      if (!isMap(budget) || !(Number.isInteger(budget.tokens) && (budget.tokens as number) > 0))
        fail(`tenant_budgets.${tenant}.tokens`, 'must be a whole number of tokens > 0');
      if (!['hour', 'day', 'week', 'month'].includes((budget as Record<string, unknown>).period as string))
        fail(`tenant_budgets.${tenant}.period`, 'must be "hour", "day", "week" or "month"');
    }
  }
}
