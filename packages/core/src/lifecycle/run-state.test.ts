import { describe, expect, test } from 'vitest';
import {
  isTerminalRun,
  moveRun,
  RUN_TRANSITIONS,
  type RunRecord,
  STEP_TRANSITIONS,
  TERMINAL_RUN_STATUSES,
} from '../index.js';

const run = (status: RunRecord['status']) => ({ runId: 'r1', status }) as RunRecord;

describe('run and step state machines', () => {
  test('terminal runs lead nowhere, and the terminal set is the one the store names', () => {
    const terminal = Object.keys(RUN_TRANSITIONS).filter((s) => isTerminalRun(s as RunRecord['status']));
    expect(terminal.sort()).toEqual([...TERMINAL_RUN_STATUSES].sort());
  });

  test('an illegal move is a typed error naming both statuses and the allowed ones', () => {
    expect(() => moveRun(run('completed'), 'running')).toThrow(
      expect.objectContaining({
        code: 'LLMT_E_ILLEGAL_TRANSITION',
        message: expect.stringMatching(/from completed to running.*nothing/),
      }),
    );
    expect(() => moveRun(run('pending'), 'waiting_human')).toThrow(
      expect.objectContaining({ code: 'LLMT_E_ILLEGAL_TRANSITION' }),
    );
    const r = run('running');
    moveRun(r, 'paused');
    moveRun(r, 'paused');
    expect(r.status).toBe('paused');
  });

  test('every status names only known statuses', () => {
    for (const targets of Object.values(RUN_TRANSITIONS))
      for (const t of targets) expect(Object.keys(RUN_TRANSITIONS)).toContain(t);
    for (const targets of Object.values(STEP_TRANSITIONS))
      for (const t of targets) expect(Object.keys(STEP_TRANSITIONS)).toContain(t);
  });
});
