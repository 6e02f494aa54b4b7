import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MemoryStore, RunRecord, WorktrailEvent } from '../index.js';

/** The IEEE 1849-2016 XES schema the tests validate against. */
export const XES_XSD = resolve(import.meta.dirname, '../../test-fixtures/xes-ieee-1849-2016.xsd');
/** The OCEL 2.0 JSON schema the tests validate against. */
export const OCEL_SCHEMA = resolve(import.meta.dirname, '../../test-fixtures/ocel20-schema.json');

/** Whether xmllint is installed; on CI a missing xmllint is an error, not a skip. */
export function xmllintAvailable(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    console.warn('skipping XES schema validation: xmllint is not installed (apt-get install libxml2-utils)');
    return false;
  }
}

/** Runs `xmllint --schema` on the text; returns xmllint's complaint, or undefined when valid. */
export function xmllintErrors(xml: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-xes-'));
  const file = join(dir, 'log.xes');
  writeFileSync(file, xml);
  try {
    execFileSync('xmllint', ['--noout', '--schema', XES_XSD, file], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Concatenates a chunk stream. */
export async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

/**
 * Writes a finished agent run straight into a store, the way an agent step records its
 * model and tool calls (token usage and cost in the event data).
 */
export async function commitAgentRun(
  store: MemoryStore,
  runId: string,
  options: { segmentId: string; start: number },
): Promise<void> {
  const at = (s: number) => new Date(options.start + s * 1000).toISOString();
  const run: RunRecord = {
    runId,
    tenantId: 'default',
    segmentId: options.segmentId,
    segmentVersion: '1.0.0',
    status: 'completed',
    input: { question: 'What is in stock?' },
    version: 1,
    lastSeq: 0,
    stepsCompleted: 1,
    createdAt: at(0),
    updatedAt: at(9),
    completedAt: at(9),
  };
  const types: Array<[string, string | undefined, number, Record<string, unknown>]> = [
    ['run.started', undefined, 0, {}],
    ['step.started', 'answer', 1, { attempt: 1, iteration: 0 }],
    [
      'model.completed',
      'answer',
      3,
      { model: 'gpt-4o', usage: { input_tokens: 120, output_tokens: 30 }, cost: 0.0021 },
    ],
    [
      'tool.completed',
      'answer',
      5,
      { call_id: 'c1', tool: 'check_inventory', duration_ms: 200, result: 'secret' },
    ],
    [
      'model.completed',
      'answer',
      8,
      { model: 'gpt-4o', usage: { input_tokens: 200, output_tokens: 55 }, cost: 0.0035 },
    ],
    ['step.completed', 'answer', 9, { attempt: 1, ports: ['output'], duration_ms: 8000 }],
    ['run.completed', undefined, 9, { outputs: ['answer'] }],
  ];
  const events: WorktrailEvent[] = types.map(([type, step_id, s, data], i) => ({
    event_id: `${runId}-e${i + 1}`,
    tenant_id: 'default',
    run_id: runId,
    seq: i + 1,
    type,
    ...(step_id ? { step_id } : {}),
    timestamp: at(s),
    data,
  }));
  await store.commit({
    tenantId: 'default',
    runId,
    expectedVersion: 0,
    run: { ...run, lastSeq: events.length },
    events,
  });
}
