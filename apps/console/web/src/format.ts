import type { TokenUsage } from '@llmteam/client';

/** "3 min", "2 h", "5 d": how long ago (or, negative, how far ahead) an instant is. */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  const seconds = Math.round(abs / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(abs / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(abs / 3_600_000);
  if (hours < 24) return `${hours} h`;
  return `${Math.round(abs / 86_400_000)} d`;
}

/** A duration for figures: "120 ms", "4.2 s", then {@link duration}'s minutes, hours, days. */
export function elapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return duration(ms);
}

export function age(iso: string, now = Date.now()): string {
  return duration(now - Date.parse(iso));
}

/** "in 2 h" or "3 min overdue". */
export function dueIn(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  return ms >= 0 ? `in ${duration(ms)}` : `${duration(ms)} overdue`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString();
}

export function lower(value: string): string {
  return value.toLowerCase().replace(/_/g, ' ');
}

/** Pretty JSON for display; `undefined` shows as nothing. */
export function json(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, null, 2);
}

/**
 * A short line for events whose data says what happened ("-> billing: asks for a refund"),
 * shown beside the type in a run's timeline; '' for the others.
 */
export function eventSummary(event: { type: string; data?: unknown }): string {
  const data = (event.data ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case 'router.decided':
      return `-> ${String(data.route)}${data.reason ? `: ${String(data.reason)}` : ''}`;
    case 'child_run.started':
    case 'child_run.finished':
      return `${String(data.segment_id ?? '')} ${String(data.child_run_id ?? '')}${data.status ? ` ${lower(String(data.status))}` : ''}`.trim();
    case 'agent.handoff': {
      const keys = Array.isArray(data.keys) ? data.keys.map(String).join(', ') : '';
      const reason = (data.metadata as Record<string, unknown> | undefined)?.reason;
      return `-> ${String(data.segment_id ?? '')}${keys ? ` with ${keys}` : ''}${reason ? `: ${String(reason)}` : ''}`;
    }
    case 'memory.written':
      return `${String(data.namespace ?? '')}: ${Array.isArray(data.keys) ? data.keys.map(String).join(', ') : ''}`;
    default:
      return '';
  }
}

/** "1,200 in · 300 out · 2 calls · $0.0040": a usage line for people. */
export function usageLine(usage: TokenUsage | null | undefined): string {
  if (!usage?.calls) return 'no model calls';
  const n = (x: number) => x.toLocaleString('en');
  return [
    `${n(usage.inputTokens)} in`,
    `${n(usage.outputTokens)} out`,
    ...(usage.cachedTokens ? [`${n(usage.cachedTokens)} cached`] : []),
    `${usage.calls} call${usage.calls === 1 ? '' : 's'}`,
    ...(usage.cost !== null && usage.cost !== undefined ? [`≈ $${usage.cost.toFixed(4)}`] : []),
  ].join(' · ');
}
