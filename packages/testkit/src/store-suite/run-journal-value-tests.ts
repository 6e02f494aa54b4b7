import type { StepStateRecord } from '@llmteam/core';
import { advanceRun, at, sampleEvent, sampleStep, startRun, uniqueId } from '../store-fixtures.js';
import type { RunJournalSuiteContext } from './run-journal-context.js';

/** Values that look like a store's own encoding, at every size: they must come back as given. */
function lookalikes(tag: string) {
  return {
    hashLike: `#[null,[[[],"${'a'.repeat(64)}"]]]`,
    pair: [{ a: 1 }, { b: 'x'.repeat(2000) }],
    refs: { $ref: 'abc', '#': [[[], 'h']] },
    nested: [[[`${tag}${'y'.repeat(1500)}`]], [], {}],
    empty: { a: [], b: {}, c: '', d: null, e: 0, f: false },
    unicode: `é漢字\u2028\u0000${'z'.repeat(1100)}`,
  };
}

/** Large values that share parts between a run's input, its steps and its outputs. */
export function valueTests({ test, expect, withStore }: RunJournalSuiteContext): void {
  test('returns values that share large parts (input, ports, step state, outputs) unchanged', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const payload = 'p'.repeat(50_000);
      const message = (i: number) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: `${i}:${'m'.repeat(1200)}`,
      });
      const input = { counter: 0, payload, meta: lookalikes('in') };
      let run = await startRun(store, t, 'run-v', { runOverrides: { input } });
      const expected: StepStateRecord[] = [];
      for (let i = 1; i <= 4; i++) {
        // Each step passes the payload on and changes a counter beside it; its state holds a
        // conversation that grows by a message per step.
        const state = { counter: i, payload, meta: lookalikes(`s${i}`) };
        const step = sampleStep(t, 'run-v', `s${i}`, {
          inputs: { input: { ...state, counter: i - 1 } },
          outputs: { output: state, copy: state, small: i },
          checkpoint: { messages: Array.from({ length: i }, (_, k) => message(k)) },
          suspension: { kind: 'human', payload: { answers: [message(i)] }, resumes: 0 },
        });
        expected.push(step);
        run = await advanceRun(store, run, 1, { steps: [step] });
      }
      const done = {
        ...run,
        status: 'completed' as const,
        version: run.version + 1,
        lastSeq: run.lastSeq + 1,
        outputs: { s4: expected[3].outputs!.output, lookalikes: lookalikes('out') },
        completedAt: at(99),
      };
      await store.commit({
        tenantId: t,
        runId: 'run-v',
        expectedVersion: run.version,
        run: done,
        events: [sampleEvent(t, 'run-v', done.lastSeq, 'run.completed')],
      });
      const steps = (await store.getSteps(t, 'run-v')).sort((a, b) => (a.stepId < b.stepId ? -1 : 1));
      expect(steps).toEqual(expected);
      expect(await store.getRun(t, 'run-v')).toEqual(done);
      expect((await store.listRuns(t)).items).toEqual([done]);
    }));

  test('keeps shared values of one run apart from another run and another tenant', () =>
    withStore(async (store) => {
      const a = uniqueId('t');
      const b = uniqueId('t');
      const big = (tag: string) => ({ text: `${tag}${'q'.repeat(5000)}` });
      await startRun(store, a, 'run-1', {
        runOverrides: { input: big('a1') },
        steps: [sampleStep(a, 'run-1', 's', { outputs: { out: big('a1') } })],
      });
      await startRun(store, b, 'run-1', {
        runOverrides: { input: big('b1') },
        steps: [sampleStep(b, 'run-1', 's', { outputs: { out: big('b1') } })],
      });
      await startRun(store, a, 'run-2', {
        runOverrides: { input: big('a1') },
        steps: [sampleStep(a, 'run-2', 's', { outputs: { out: big('a1') } })],
      });
      await store.eraseRun(a, 'run-1', {
        tenantId: a,
        action: 'run.erased',
        actor: 'test',
        runId: 'run-1',
        timestamp: at(5),
      });
      expect((await store.getRun(a, 'run-2'))?.input).toEqual(big('a1'));
      expect((await store.getSteps(a, 'run-2'))[0].outputs).toEqual({ out: big('a1') });
      expect((await store.getRun(b, 'run-1'))?.input).toEqual(big('b1'));
      expect((await store.getSteps(b, 'run-1'))[0].outputs).toEqual({ out: big('b1') });
    }));
}
