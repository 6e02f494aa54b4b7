import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type AuditAnchor,
  type AuditOptions,
  auditSigningKey,
  fileAnchor,
  webhookAnchor,
} from '@llmteam/core';
import { GatewayError } from '../errors.js';

/**
 * The config's `audit` section: `{ "signingKeyFile": "./keys/audit.pem",
 * "checkpointEvery": "PT1H", "anchorFile": "./audit-checkpoints.jsonl",
 * "anchorWebhook": "https://anchor.example/checkpoints" }`. The environment variable
 * `LLMTEAM_AUDIT_SIGNING_KEY` (an Ed25519 private key in PEM) wins over `signingKeyFile`.
 */
export interface AuditConfig {
  /** Ed25519 private key (PEM file, relative to the config) that signs checkpoints. @default the development key */
  signingKeyFile?: string;
  /** How often each tenant's log is checkpointed (ISO 8601 or seconds; 0 = never). @default "PT1H" */
  checkpointEvery?: string | number;
  /** A file each checkpoint is appended to as a JSON line (an external anchor). */
  anchorFile?: string;
  /** A URL each checkpoint is POSTed to as JSON (an external anchor). */
  anchorWebhook?: string;
}

const AUDIT_KEYS = ['signingKeyFile', 'checkpointEvery', 'anchorFile', 'anchorWebhook'];

/** Refuses an `audit` section of the wrong shape, naming the key. */
export function checkAuditConfig(value: unknown, file: string): void {
  const fail = (what: string): never => {
    throw new GatewayError('LLMT_E_GW_CONFIG', `${file}: audit${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(
      ' must be { "signingKeyFile": "...", "checkpointEvery": "PT1H", "anchorFile": "...", "anchorWebhook": "..." }',
    );
  const audit = value as Record<string, unknown>;
  const unknown = Object.keys(audit).filter((k) => !AUDIT_KEYS.includes(k));
  if (unknown.length) fail(`: unknown key "${unknown[0]}"; known keys: ${AUDIT_KEYS.join(', ')}`);
  for (const key of ['signingKeyFile', 'anchorFile', 'anchorWebhook'])
    if (audit[key] !== undefined && typeof audit[key] !== 'string') fail(`.${key} must be a string`);
  const every = audit.checkpointEvery;
  if (every !== undefined && typeof every !== 'string' && typeof every !== 'number')
    fail('.checkpointEvery must be an ISO 8601 duration ("PT1H") or a number of seconds');
  if (typeof audit.anchorWebhook === 'string' && !URL.canParse(audit.anchorWebhook))
    fail(`.anchorWebhook is not a URL: ${audit.anchorWebhook}`);
}

/** Engine audit options from the config section and the environment. */
export function auditOptions(
  config: AuditConfig | undefined,
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): AuditOptions {
  const c = config ?? {};
  let signingKey: string | undefined = env.LLMTEAM_AUDIT_SIGNING_KEY || undefined;
  if (!signingKey && c.signingKeyFile) {
    const path = resolve(dir, c.signingKeyFile);
    try {
      signingKey = readFileSync(path, 'utf8');
    } catch (error) {
      throw new GatewayError(
        'LLMT_E_GW_CONFIG',
        `audit.signingKeyFile: cannot read ${path} (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
  }
  // Checked here, so a bad key is a start-up error that names where it came from.
  try {
    auditSigningKey(signingKey);
  } catch (error) {
    const from = env.LLMTEAM_AUDIT_SIGNING_KEY ? 'LLMTEAM_AUDIT_SIGNING_KEY' : 'audit.signingKeyFile';
    throw new GatewayError('LLMT_E_GW_CONFIG', `${from}: ${(error as Error).message}`, { cause: error });
  }
  const anchors: AuditAnchor[] = [];
  if (c.anchorFile) anchors.push(fileAnchor(resolve(dir, c.anchorFile)));
  if (c.anchorWebhook) anchors.push(webhookAnchor(c.anchorWebhook));
  return {
    ...(signingKey ? { signingKey } : {}),
    ...(c.checkpointEvery !== undefined ? { checkpointEvery: c.checkpointEvery } : {}),
    anchors,
  };
}
