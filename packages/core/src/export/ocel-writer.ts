/**
 * OCEL 2.0 JSON export: events related to the objects they touch (run, step,
 * interaction, action call, agent, person), written as a stream of text chunks.
 *
 * The JSON members come in the order `events`, `objects`, `objectTypes`, `eventTypes`:
 * member order carries no meaning in JSON, and writing the type declarations last lets
 * the events stream out in one pass. Objects are made in a second pass over the same
 * runs (each read up to the event the first pass stopped at), so memory holds one run's
 * objects at a time plus the names of agents and persons already written.
 */
import type { RunRecord, Store } from '../store/types.js';
import {
  listProcessRuns,
  type ProcessAttribute,
  type ProcessEvent,
  type ProcessLogQuery,
  readProcessLog,
} from './process-log.js';
import { DEFAULT_EXPORT_CHUNK_SIZE } from './xes-writer.js';

/** Options of {@link exportOcel}. */
export interface OcelExportOptions extends ProcessLogQuery {
  /** Characters gathered before a chunk is yielded. @default 65536 */
  chunkSize?: number;
}

/** OCEL 2.0 attribute types. */
export type OcelAttributeType = 'string' | 'time' | 'integer' | 'float' | 'boolean';

/** Object types of the export, with the attributes each declares. */
export const OCEL_OBJECT_TYPES: ReadonlyArray<{
  name: string;
  attributes: ReadonlyArray<{ name: string; type: OcelAttributeType }>;
}> = [
  {
    name: 'run',
    attributes: [
      { name: 'segment_id', type: 'string' },
      { name: 'segment_version', type: 'string' },
      { name: 'status', type: 'string' },
    ],
  },
  {
    name: 'step',
    attributes: [
      { name: 'step_id', type: 'string' },
      { name: 'step_type', type: 'string' },
      { name: 'status', type: 'string' },
    ],
  },
  {
    name: 'interaction',
    attributes: [
      { name: 'interaction_type', type: 'string' },
      { name: 'priority', type: 'string' },
      { name: 'status', type: 'string' },
    ],
  },
  {
    name: 'action call',
    attributes: [
      { name: 'action', type: 'string' },
      { name: 'status', type: 'string' },
    ],
  },
  { name: 'agent', attributes: [{ name: 'name', type: 'string' }] },
  { name: 'person', attributes: [{ name: 'subject', type: 'string' }] },
];

interface OcelRelationship {
  objectId: string;
  qualifier: string;
}

interface OcelObjectAttribute {
  name: string;
  time: string;
  value: ProcessAttribute;
}

interface OcelObject {
  id: string;
  type: string;
  attributes: OcelObjectAttribute[];
  relationships: OcelRelationship[];
}

/** The OCEL event type (activity) of a process event, e.g. `approve completed`. */
export function ocelEventType(e: ProcessEvent): string {
  const verb = e.type
    .replace(/^(step|run)\./, '')
    .replace(/[._]/g, ' ')
    .trim();
  return `${e.activity} ${verb}`;
}

const stepObjectId = (runId: string, stepId: string) => `${runId}/${stepId}`;
const agentObjectId = (name: string) => `agent:${name}`;
const personObjectId = (subject: string) => `person:${subject}`;

/** Objects an event relates to, with qualifiers. */
function relationshipsOf(e: ProcessEvent): OcelRelationship[] {
  const rel: OcelRelationship[] = [{ objectId: e.runId, qualifier: 'run' }];
  if (e.stepId !== undefined) rel.push({ objectId: stepObjectId(e.runId, e.stepId), qualifier: 'step' });
  if (e.interactionId) rel.push({ objectId: e.interactionId, qualifier: 'interaction' });
  if (e.actionCall) rel.push({ objectId: e.actionCall, qualifier: 'call' });
  if (e.role === 'person' && personResource(e)) {
    rel.push({ objectId: personObjectId(e.resource), qualifier: 'actor' });
  }
  if (e.role === 'agent') rel.push({ objectId: agentObjectId(e.resource), qualifier: 'agent' });
  return rel;
}

/** True when the resource names someone who acted (not an open assignment). */
function personResource(e: ProcessEvent): boolean {
  return e.role === 'person' && e.group === undefined && e.resource !== 'unassigned';
}

const STEP_STATUS: Record<string, string> = {
  start: 'running',
  suspend: 'waiting',
  resume: 'running',
  complete: 'completed',
  autoskip: 'skipped',
  pi_abort: 'cancelled',
};

const RUN_STATUS: Record<string, string> = {
  'run.created': 'pending',
  'run.started': 'running',
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
  'run.paused': 'paused',
  'run.resumed': 'running',
};

/** Gathers the objects of one run while its events pass by. */
class RunObjects {
  readonly objects = new Map<string, OcelObject>();
  private lastStatus = new Map<string, ProcessAttribute>();

  constructor(
    run: RunRecord,
    private readonly known: Set<string>,
  ) {
    this.object(run.runId, 'run', run.createdAt, {
      segment_id: run.segmentId,
      segment_version: run.segmentVersion,
    });
  }

  private object(
    id: string,
    type: string,
    time: string,
    attributes: Record<string, ProcessAttribute | undefined> = {},
  ): OcelObject {
    let o = this.objects.get(id);
    if (!o) {
      o = { id, type, attributes: [], relationships: [] };
      this.objects.set(id, o);
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== undefined && !o.attributes.some((a) => a.name === name))
        o.attributes.push({ name, time, value });
    }
    return o;
  }

  private status(o: OcelObject, time: string, value: string): void {
    if (this.lastStatus.get(o.id) === value) return;
    this.lastStatus.set(o.id, value);
    o.attributes.push({ name: 'status', time, value });
  }

  private relate(o: OcelObject, objectId: string, qualifier: string): void {
    if (!o.relationships.some((r) => r.objectId === objectId && r.qualifier === qualifier)) {
      o.relationships.push({ objectId, qualifier });
    }
  }

  /** Shared objects (agents, persons) are written once per export. */
  private shared(id: string, type: string, time: string, attributes: Record<string, ProcessAttribute>): void {
    if (this.known.has(id)) return;
    this.known.add(id);
    this.object(id, type, time, attributes);
  }

  add(e: ProcessEvent): void {
    const t = e.timestamp;
    const run = this.objects.get(e.runId)!;
    const runStatus =
      e.type === 'run.waiting' ? String(e.attributes.status ?? 'waiting') : RUN_STATUS[e.type];
    if (runStatus) this.status(run, t, runStatus);
    if (e.role === 'agent') this.shared(agentObjectId(e.resource), 'agent', t, { name: e.resource });
    if (personResource(e)) this.shared(personObjectId(e.resource), 'person', t, { subject: e.resource });
    if (e.stepId === undefined) return;

    const step = this.object(stepObjectId(e.runId, e.stepId), 'step', t, {
      step_id: e.stepId,
      step_type: e.stepType,
    });
    this.relate(step, e.runId, 'part of');
    if (e.lifecycle) {
      const status =
        e.lifecycle === 'ate_abort'
          ? e.attributes.retry
            ? 'retry_wait'
            : 'failed'
          : STEP_STATUS[e.lifecycle];
      if (status) this.status(step, t, status);
    }
    if (e.role === 'agent') this.relate(step, agentObjectId(e.resource), 'performed by');
    if (personResource(e) && e.lifecycle === 'complete')
      this.relate(step, personObjectId(e.resource), 'answered by');

    if (e.interactionId) {
      const i = this.object(e.interactionId, 'interaction', t, {
        interaction_type: e.attributes.interaction_type,
        priority: e.attributes.priority,
      });
      this.relate(i, step.id, 'raised by');
      const status = interactionStatus(e);
      if (status) this.status(i, t, status);
      if (personResource(e)) this.relate(i, personObjectId(e.resource), 'answered by');
    }
    if (e.actionCall) {
      const call = this.object(e.actionCall, 'action call', t, { action: e.actionName });
      this.relate(call, step.id, 'made by');
      if (typeof e.attributes.status === 'string') this.status(call, t, e.attributes.status);
    }
  }
}

function interactionStatus(e: ProcessEvent): string | undefined {
  switch (e.type) {
    case 'interaction.requested':
      return 'pending';
    case 'interaction.notified':
      return 'notified';
    case 'interaction.escalated':
      return 'escalated';
    case 'interaction.timed_out':
      return 'timeout';
    case 'interaction.responded':
      if (e.attributes.final !== true) return 'in_progress';
      return e.attributes.action === 'reject' ? 'rejected' : 'completed';
    default:
      return undefined;
  }
}

function ocelType(value: ProcessAttribute): OcelAttributeType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  return 'string';
}

/** One OCEL event, as JSON. */
function ocelEvent(e: ProcessEvent, type: string): string {
  const attributes: Array<{ name: string; value: ProcessAttribute }> = [
    { name: 'event_type', value: e.type },
    { name: 'resource', value: e.resource },
    { name: 'role', value: e.role },
  ];
  if (e.lifecycle) attributes.push({ name: 'lifecycle', value: e.lifecycle });
  for (const name in e.attributes) attributes.push({ name, value: e.attributes[name] });
  return JSON.stringify({
    id: e.eventId,
    type,
    time: e.timestamp,
    attributes,
    relationships: relationshipsOf(e),
  });
}

/**
 * Exports the runs of one segment as an OCEL 2.0 JSON log, for object-centric process
 * mining (PM4Py, OCPA, Celonis). Yields text chunks of one JSON document.
 *
 * Event types are activities such as `approve completed` or `approve interaction
 * responded` (the worktrail type is kept in the `event_type` attribute). Events relate to
 * their `run`, `step`, `interaction`, `action call`, `agent` and `person` objects; steps
 * are `part of` runs, interactions `raised by` steps, action calls `made by` steps.
 * Statuses are time-stamped object attributes. Sealed values are never written.
 *
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` for a missing segment id or a bad time.
 */
export async function* exportOcel(store: Store, options: OcelExportOptions): AsyncGenerator<string> {
  const chunkSize = options.chunkSize ?? DEFAULT_EXPORT_CHUNK_SIZE;
  const eventTypes = new Map<string, Map<string, OcelAttributeType>>();
  const runs: RunRecord[] = [];
  let buffer = '{"events":[';
  let first = true;

  // Pass 1: events, remembering which runs (and up to which event) were read.
  async function* seen() {
    for await (const run of listProcessRuns(store, options)) {
      const { input: _input, outputs: _outputs, ...slim } = run;
      runs.push(slim as RunRecord);
      yield run;
    }
  }
  for await (const trace of readProcessLog(store, options, seen())) {
    for await (const e of trace.events) {
      const type = ocelEventType(e);
      let declared = eventTypes.get(type);
      if (!declared) {
        declared = new Map([
          ['event_type', 'string'],
          ['resource', 'string'],
          ['role', 'string'],
        ]);
        eventTypes.set(type, declared);
      }
      if (e.lifecycle) declared.set('lifecycle', 'string');
      for (const name in e.attributes) {
        const t = ocelType(e.attributes[name]);
        const before = declared.get(name);
        declared.set(
          name,
          before === 'float' || (before === 'integer' && t === 'float') ? 'float' : (before ?? t),
        );
      }
      buffer += (first ? '\n' : ',\n') + ocelEvent(e, type);
      first = false;
      if (buffer.length >= chunkSize) {
        yield buffer;
        buffer = '';
      }
    }
  }

  // Pass 2: the objects of the same runs.
  buffer += '\n],\n"objects":[';
  first = true;
  const known = new Set<string>();
  for await (const trace of readProcessLog(store, options, runs)) {
    const objects = new RunObjects(trace.run, known);
    for await (const e of trace.events) objects.add(e);
    for (const o of objects.objects.values()) {
      buffer += (first ? '\n' : ',\n') + JSON.stringify(o);
      first = false;
    }
    if (buffer.length >= chunkSize) {
      yield buffer;
      buffer = '';
    }
  }

  buffer += `\n],\n"objectTypes":${JSON.stringify(OCEL_OBJECT_TYPES)},\n"eventTypes":`;
  buffer += JSON.stringify(
    [...eventTypes].map(([name, attributes]) => ({
      name,
      attributes: [...attributes].map(([n, type]) => ({ name: n, type })),
    })),
  );
  yield `${buffer}}\n`;
}
