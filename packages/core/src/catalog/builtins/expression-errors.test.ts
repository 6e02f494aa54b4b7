import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createEngine, MemoryStore } from '../../index.js';

const ORDER_FLOW = JSON.parse(
  readFileSync(new URL('../../../../../examples/segments/order-flow.json', import.meta.url), 'utf8'),
);

describe('JSONata errors', () => {
  test('a failing expression names the step, the field and the position, with an excerpt, not the whole expression', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const run = await engine.startRun({
      segment: {
        segment_id: 'sum',
        steps: [
          {
            step_id: 'total',
            step_type: 'transform',
            config: { expression: `(${'$x := 1; '.repeat(30)}$sum(items.(qty * unit_price)) + "EUR")` },
          },
        ],
      },
      input: { items: [{ qty: 2, unit_price: 3 }] },
    });
    const done = await engine.waitForRun(run.runId);
    expect(done.status).toBe('failed');
    const message = done.error!.message;
    expect(message).toMatch(
      /^step "total" failed: step "total" config\.expression failed at position \d+ \(T2002\): .* near …"/,
    );
    expect(message).toContain('+ \\"EUR');
    expect(message).not.toContain('$x := 1; $x := 1; $x := 1; $x := 1; $x := 1;');
    expect(done.error!.code).toBe('LLMT_E_EXPRESSION');
  });

  test('the order_flow example without its input_schema, given a string, fails on a short message', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const { input_schema: _refusesIt, ...unchecked } = ORDER_FLOW;
    const run = await engine.startRun({ segment: unchecked, input: 'x' });
    const done = await engine.waitForRun(run.runId);
    expect(done.status).toBe('failed');
    expect(done.error!.message).toMatch(
      /^step "check_inventory" failed: step "check_inventory" config\.expression failed at position \d+ \(T0412\): Argument 1 of function "merge" must be an array of "objects" near …/,
    );
    expect(done.error!.message.length).toBeLessThan(300);
    expect(done.error!.message).not.toContain('$stock := {');
  });
});
