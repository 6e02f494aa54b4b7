/**
 * Reads a segment's runs from a store as a process-mining event log: one trace per run,
 * each worktrail event interpreted as an activity-lifecycle event with the resource that
 * acted. Both exports (XES, OCEL) and the process analytics are built on it.
 *
 * Only attributes the engine itself defines are carried over (ids, attempts, durations,
 * error codes, token counts, costs, port names); free-form event data never is, so a
 * sealed value that reached an event, an error message or a response cannot leave here.
 */
import { StepCatalog } from '../catalog/step-catalog.js';
import { LlmteamError } from '../errors.js';
import type { SegmentDefinition, StepDefinition } from '../segment/types.js';
import type { RunRecord, Store, WorktrailEvent } from '../store/types.js';
import {
  DEFAULT_PROCESS_LOG_PAGE_SIZE,
  type ProcessLogQuery,
  type ProcessTrace,
} from './process-log-types.js';
import { RunInterpreter } from './run-interpreter.js';

export * from './process-log-types.js';
export { RunInterpreter, usageOf } from './run-interpreter.js';

function checkTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `${name} must be an ISO 8601 time such as 2026-01-31T00:00:00Z, got "${value}"`,
    );
  }
  return ms;
}

/** Checks a query's fields, with an error naming the field. */
export function checkProcessLogQuery(query: ProcessLogQuery): { from?: number; to?: number } {
  if (typeof query.segmentId !== 'string' || !query.segmentId) {
    throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'segmentId is required: name the segment to export');
  }
  const from = checkTime(query.from, 'from');
  const to = checkTime(query.to, 'to');
  if (from !== undefined && to !== undefined && from > to) {
    throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `from (${query.from}) is after to (${query.to})`);
  }
  if (query.pageSize !== undefined && (!Number.isInteger(query.pageSize) || query.pageSize < 1)) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `pageSize must be a positive integer, got ${query.pageSize}`,
    );
  }
  return { from, to };
}

/** A run as far as a reader needs it again (see {@link readProcessLog}'s `runs`). */
export type RunRef = Pick<RunRecord, 'runId' | 'lastSeq'> & Partial<RunRecord>;

/**
 * The runs of `query.segmentId` created within the range, newest first, one page at a
 * time. Each run's events are read up to its `lastSeq` at listing time, so a trace is a
 * consistent prefix even while the run goes on.
 */
export async function* listProcessRuns(store: Store, query: ProcessLogQuery): AsyncGenerator<RunRecord> {
  const { from, to } = checkProcessLogQuery(query);
  const tenantId = query.tenantId ?? 'default';
  const limit = query.pageSize ?? DEFAULT_PROCESS_LOG_PAGE_SIZE;
  let after: string | undefined;
  do {
    const page = await store.listRuns(tenantId, { segmentId: query.segmentId, limit, after });
    for (const run of page.items) {
      const created = Date.parse(run.createdAt);
      if (from !== undefined && created < from) continue;
      if (to !== undefined && created > to) continue;
      yield run;
    }
    after = page.nextCursor;
  } while (after !== undefined);
}

/** Reads one run's events page by page, up to `lastSeq`. */
export async function* readRunEvents(
  store: Store,
  tenantId: string,
  runId: string,
  lastSeq: number,
  pageSize: number = DEFAULT_PROCESS_LOG_PAGE_SIZE,
): AsyncGenerator<WorktrailEvent> {
  let afterSeq = 0;
  while (afterSeq < lastSeq) {
    const page = await store.listEvents(tenantId, runId, {
      afterSeq,
      limit: Math.min(pageSize, lastSeq - afterSeq),
    });
    if (page.length === 0) return;
    for (const event of page) {
      if (event.seq > lastSeq) return;
      yield event;
    }
    afterSeq = page[page.length - 1].seq;
  }
}

/**
 * Reads the log: one {@link ProcessTrace} per run. `runs`, when given, replaces the
 * listing (a second pass over the runs a first pass saw).
 */
export async function* readProcessLog(
  store: Store,
  query: ProcessLogQuery,
  runs?: AsyncIterable<RunRef> | Iterable<RunRef>,
): AsyncGenerator<ProcessTrace> {
  checkProcessLogQuery(query);
  const tenantId = query.tenantId ?? 'default';
  const pageSize = query.pageSize ?? DEFAULT_PROCESS_LOG_PAGE_SIZE;
  const catalog = query.catalog ?? new StepCatalog();
  const segments = new Map<string, ReadonlyMap<string, StepDefinition>>();
  const stepsOf = async (version: string): Promise<ReadonlyMap<string, StepDefinition>> => {
    let steps = segments.get(version);
    if (!steps) {
      const record = await store.getSegment(tenantId, query.segmentId, version);
      const definition = record?.definition as SegmentDefinition | undefined;
      steps = new Map((definition?.steps ?? []).map((s) => [s.step_id, s]));
      segments.set(version, steps);
    }
    return steps;
  };
  for await (const ref of runs ?? listProcessRuns(store, query)) {
    const run = (ref.segmentVersion === undefined ? await store.getRun(tenantId, ref.runId) : ref) as
      | RunRecord
      | undefined;
    if (!run) continue;
    const steps = await stepsOf(run.segmentVersion);
    const interpreter = new RunInterpreter(run, steps, catalog);
    const source = readRunEvents(store, tenantId, run.runId, ref.lastSeq, pageSize);
    yield {
      run,
      steps,
      events: (async function* () {
        for await (const event of source) yield* interpreter.interpret(event);
      })(),
    };
  }
}
