import { describe, expect, test } from 'vitest';
import { eventSummary } from './format.js';

describe('timeline summaries', () => {
  test('a router decision shows the route taken and why', () => {
    expect(
      eventSummary({ type: 'router.decided', data: { route: 'billing', reason: 'asks for a refund' } }),
    ).toBe('-> billing: asks for a refund');
    expect(eventSummary({ type: 'step.completed', data: { ports: ['output'] } })).toBe('');
  });

  test('a handoff shows the agent taken over, the keys carried and why; a memory write its keys', () => {
    expect(
      eventSummary({
        type: 'agent.handoff',
        data: {
          segment_id: 'billing_desk',
          keys: ['customer', 'plan'],
          metadata: { reason: 'double charge' },
        },
      }),
    ).toBe('-> billing_desk with customer, plan: double charge');
    expect(
      eventSummary({ type: 'memory.written', data: { namespace: 'taster', keys: ['notes', 'tea'] } }),
    ).toBe('taster: notes, tea');
  });

  test('a child run shows its segment, id and end status', () => {
    expect(
      eventSummary({
        type: 'child_run.finished',
        data: { segment_id: 'kyc', child_run_id: 'run_1', status: 'completed' },
      }),
    ).toBe('kyc run_1 completed');
  });
});
