import { appendFile } from 'node:fs/promises';
import type { AuditCheckpoint } from './checkpoint.js';

/**
 * An external anchor: somewhere outside the store that each signed checkpoint is sent to
 * (a file on other storage, a webhook of a transparency service), so a store rewritten
 * together with its checkpoints is still caught against the anchored copy.
 */
export interface AuditAnchor {
  /** Shown in logs, e.g. `file:/var/log/llmteam-checkpoints.jsonl`. */
  readonly name: string;
  publish(checkpoint: AuditCheckpoint): Promise<void>;
}

/** Appends each checkpoint as one JSON line to `path`. */
export function fileAnchor(path: string): AuditAnchor {
  return {
    name: `file:${path}`,
    publish: (checkpoint) => appendFile(path, `${JSON.stringify(checkpoint)}\n`, 'utf8'),
  };
}

/** Options of {@link webhookAnchor}. */
export interface WebhookAnchorOptions {
  /** Extra request headers (e.g. an authorization header). @default {} */
  headers?: Record<string, string>;
  /** @default 10000 */
  timeoutMs?: number;
}

/** POSTs each checkpoint as JSON to `url`; a non-2xx answer is a failure. */
export function webhookAnchor(url: string, options: WebhookAnchorOptions = {}): AuditAnchor {
  return {
    name: `webhook:${new URL(url).origin}`,
    async publish(checkpoint) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
        body: JSON.stringify(checkpoint),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`the checkpoint webhook answered HTTP ${res.status}`);
    },
  };
}

/** Reads the last checkpoint of `tenantId` from a file written by {@link fileAnchor} (or one checkpoint as JSON). */
export function lastAnchoredCheckpoint(text: string, tenantId: string): AuditCheckpoint | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const lines = trimmed.startsWith('{') && !trimmed.includes('\n') ? [trimmed] : trimmed.split('\n');
  let found: AuditCheckpoint | undefined;
  for (const line of lines) {
    if (!line.trim()) continue;
    const cp = JSON.parse(line) as AuditCheckpoint;
    if (cp.tenantId === tenantId && (!found || cp.size >= found.size)) found = cp;
  }
  return found;
}
