/**
 * XES (IEEE 1849) export: one trace per run, one event per activity-lifecycle transition,
 * written as a stream of text chunks so memory stays flat however many events there are.
 */
import type { Store } from '../store/types.js';
import {
  type ProcessAttribute,
  type ProcessEvent,
  type ProcessLogQuery,
  type ProcessTrace,
  readProcessLog,
  SYSTEM_RESOURCE,
} from './process-log.js';

/** Options of {@link exportXes}: which runs, and how large the emitted chunks are. */
export interface XesExportOptions extends ProcessLogQuery {
  /** Characters gathered before a chunk is yielded. @default 65536 */
  chunkSize?: number;
}

/** Default of {@link XesExportOptions.chunkSize}. */
export const DEFAULT_EXPORT_CHUNK_SIZE = 65_536;

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 cannot hold
const SPECIAL = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const SPECIAL_ALL = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes a value for an XML attribute; characters XML 1.0 cannot hold become U+FFFD. */
export function escapeXml(value: string): string {
  if (!SPECIAL.test(value)) return value;
  return value.replace(SPECIAL_ALL, (c) => ENTITY[c] ?? '\ufffd');
}

function attribute(key: string, value: ProcessAttribute): string {
  if (typeof value === 'boolean') return `<boolean key="${key}" value="${value}"/>`;
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? `<int key="${key}" value="${value}"/>`
      : `<float key="${key}" value="${value}"/>`;
  }
  return `<string key="${key}" value="${escapeXml(value)}"/>`;
}

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<log xes.version="2.0">\n' +
  '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n' +
  '<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>\n' +
  '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n' +
  '<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n' +
  '<extension name="Cost" prefix="cost" uri="http://www.xes-standard.org/cost.xesext"/>\n' +
  '<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>\n' +
  '<global scope="event"><string key="concept:name" value="__INVALID__"/>' +
  '<string key="lifecycle:transition" value="complete"/>' +
  '<date key="time:timestamp" value="1970-01-01T00:00:00.000Z"/>' +
  `<string key="org:resource" value="${SYSTEM_RESOURCE}"/></global>\n` +
  '<classifier name="Activity" keys="concept:name"/>\n' +
  '<classifier name="Activity_Lifecycle" keys="concept:name lifecycle:transition"/>\n' +
  '<classifier name="Resource" keys="org:resource"/>\n';

function traceOpen(trace: ProcessTrace): string {
  const r = trace.run;
  let s = `<trace><string key="concept:name" value="${escapeXml(r.runId)}"/>`;
  s += `<string key="segment_version" value="${escapeXml(r.segmentVersion)}"/>`;
  s += `<string key="status" value="${r.status}"/>`;
  s += `<date key="created" value="${r.createdAt}"/>`;
  if (r.completedAt) {
    s += `<date key="completed" value="${r.completedAt}"/>`;
    s += `<int key="throughput_ms" value="${Math.max(0, Date.parse(r.completedAt) - Date.parse(r.createdAt))}"/>`;
  }
  if (r.error?.code) s += `<string key="error_code" value="${escapeXml(r.error.code)}"/>`;
  if (r.forkedFrom) s += `<string key="forked_from" value="${escapeXml(r.forkedFrom)}"/>`;
  return `${s}\n`;
}

/** The `<event>` element of one process event (only lifecycle events are written). */
export function xesEvent(e: ProcessEvent): string {
  let s = `<event><string key="concept:name" value="${escapeXml(e.activity)}"/>`;
  s += `<string key="lifecycle:transition" value="${e.lifecycle ?? 'unknown'}"/>`;
  s += `<date key="time:timestamp" value="${e.timestamp}"/>`;
  s += `<string key="org:resource" value="${escapeXml(e.resource)}"/>`;
  s += `<string key="org:role" value="${e.role}"/>`;
  if (e.group) s += `<string key="org:group" value="${escapeXml(e.group)}"/>`;
  if (e.instance) s += `<string key="concept:instance" value="${escapeXml(e.instance)}"/>`;
  if (e.stepType) s += `<string key="step_type" value="${escapeXml(e.stepType)}"/>`;
  s += `<string key="event_id" value="${escapeXml(e.eventId)}"/><int key="seq" value="${e.seq}"/>`;
  if (e.interactionId) s += `<string key="interaction_id" value="${escapeXml(e.interactionId)}"/>`;
  for (const key in e.attributes) {
    const value = e.attributes[key];
    s += key === 'cost' ? `<float key="cost:total" value="${value}"/>` : attribute(key, value);
  }
  return `${s}</event>\n`;
}

/** Writes already-read traces as XES text chunks. */
export async function* writeXes(
  traces: AsyncIterable<ProcessTrace>,
  options: { segmentId: string; chunkSize?: number },
): AsyncGenerator<string> {
  const chunkSize = options.chunkSize ?? DEFAULT_EXPORT_CHUNK_SIZE;
  let buffer = `${HEADER}<string key="concept:name" value="${escapeXml(options.segmentId)}"/>\n<string key="lifecycle:model" value="standard"/>\n`;
  for await (const trace of traces) {
    buffer += traceOpen(trace);
    for await (const event of trace.events) {
      if (event.lifecycle === undefined) continue;
      buffer += xesEvent(event);
      if (buffer.length >= chunkSize) {
        yield buffer;
        buffer = '';
      }
    }
    buffer += '</trace>\n';
  }
  yield `${buffer}</log>\n`;
}

/**
 * Exports the runs of one segment as an XES event log (IEEE 1849), for ProM, Celonis,
 * Disco or PM4Py. Yields text chunks; pipe them to a file or an HTTP response.
 *
 * Each run is a trace (`concept:name` = run id); each step attempt's start, suspension,
 * resumption, completion or abort is an event with `concept:name` (the step id),
 * `lifecycle:transition` (`start`, `suspend`, `resume`, `complete`, `ate_abort`,
 * `pi_abort` when the run ended around it, `autoskip`), `time:timestamp`, `org:resource`
 * and `org:role` (the agent, service or person that acted), plus waiting time, duration,
 * tokens and `cost:total` where the run recorded them. Sealed values are never written.
 *
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` for a missing segment id or a bad time.
 */
export function exportXes(store: Store, options: XesExportOptions): AsyncGenerator<string> {
  return writeXes(readProcessLog(store, options), options);
}
