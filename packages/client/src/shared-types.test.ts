import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { isWorktrailEventOf, type WorktrailEvent } from './index.js';

const sources = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => [f, readFileSync(new URL(f, import.meta.url), 'utf8')] as const);

test('the client copies no status enum of core: each is derived from core/types', () => {
  for (const [file, text] of sources) {
    // A hand-written list would repeat core's values in upper case.
    for (const value of ["'WAITING_HUMAN'", "'RETRY_WAIT'", "'IN_PROGRESS'", "'ENTERPRISE'", "'APPROVER'"])
      expect(text.includes(value), `${file} lists ${value}`).toBe(false);
  }
  const types = sources.find(([f]) => f === 'types.ts')?.[1] ?? '';
  expect(types).toContain("from '@llmteam/core/types'");
});

test('isWorktrailEventOf narrows by type', () => {
  const event: WorktrailEvent = {
    id: 'e1',
    runId: 'r1',
    seq: 3,
    type: 'step.completed',
    stepId: 'a',
    timestamp: '2026-01-01T00:00:00.000Z',
    data: { attempt: 1, ports: ['output'], duration_ms: 4 },
  };
  expect(isWorktrailEventOf(event, 'step.completed')).toBe(true);
  expect(isWorktrailEventOf(event, 'run.completed', 'run.failed')).toBe(false);
  if (isWorktrailEventOf(event, 'step.completed')) expect(event.data.ports).toEqual(['output']);
});
