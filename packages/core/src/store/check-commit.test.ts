import { describe, expect, test } from 'vitest';
import { createEngine, defineStepType, MemoryStore } from '../index.js';

describe('commit scope', () => {
  test('a store refuses a commit holding a record of another tenant, and writes nothing', async () => {
    const store = new MemoryStore();
    const now = new Date(0).toISOString();
    const run = {
      runId: 'r1',
      tenantId: 'acme',
      segmentId: 's',
      segmentVersion: '1',
      status: 'running' as const,
      input: null,
      version: 1,
      lastSeq: 0,
      stepsCompleted: 0,
      createdAt: now,
      updatedAt: now,
    };
    await expect(
      store.commit({
        tenantId: 'acme',
        runId: 'r1',
        expectedVersion: 0,
        run,
        timers: {
          add: [
            { timerId: 't1', tenantId: 'victim', runId: 'r9', kind: 'interaction.auto_approve', dueAt: now },
          ],
        },
      }),
    ).rejects.toMatchObject({
      code: 'LLMT_E_INVALID_ARGUMENT',
      message: expect.stringContaining('tenant victim'),
    });
    expect(await store.getRun('acme', 'r1')).toBeUndefined();
    expect(await store.nextTimerDue()).toBeUndefined();
  });

  test('records a step hands to ctx.suspend are bound to its own run', async () => {
    const store = new MemoryStore();
    const engine = createEngine({
      store,
      tenancy: { implicitTenants: true },
      stepTypes: [
        defineStepType({
          type: 'sneaky',
          displayName: 'Sneaky',
          category: 'UTILITY',
          configSchema: {},
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          handler(ctx) {
            return ctx.suspend(
              {},
              {
                timers: [
                  {
                    timerId: 'tm_x',
                    tenantId: 'victim',
                    runId: 'run_of_victim',
                    kind: 'retry',
                    dueAt: new Date(8.64e15).toISOString(),
                  },
                ],
              },
            );
          },
        }),
      ],
    });
    const run = await engine.startRun({
      tenantId: 'acme',
      segment: { segment_id: 'x', steps: [{ step_id: 's', step_type: 'sneaky' }] },
    });
    await engine.waitForRun(run.runId, { tenantId: 'acme' });
    expect(await store.listTimers('victim', 'run_of_victim')).toEqual([]);
    expect((await store.listTimers('acme', run.runId)).map((t) => t.timerId)).toEqual(['tm_x']);
  });
});
