import { createEngine, MemoryStore } from '@llmteam/core';
import { expect, test } from 'vitest';

test('the README example produces the documented outputs', async () => {
  const engine = createEngine({ store: new MemoryStore() });
  await engine.start();
  const run = await engine.startRun({
    segment: {
      segment_id: 'greet',
      steps: [
        { step_id: 'shout', step_type: 'transform', config: { expression: '$uppercase(name)' } },
        { step_id: 'check', step_type: 'condition', config: { expression: '$length($) > 3' } },
      ],
      edges: [{ source_step: 'shout', target_step: 'check' }],
    },
    input: { name: 'ada lovelace' },
  });
  const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  expect(done.outputs).toEqual({ check: { true: 'ADA LOVELACE' } });
  await engine.stop();
});

test('the README actions example writes the function action data to the step output', async () => {
  const engine = createEngine({
    store: new MemoryStore(),
    actions: { reserve: { type: 'function', retry_count: 2, rate_limit: { requests_per_minute: 600 } } },
  });
  engine.actions.defineFunction('reserve', async (input) => ({ reserved: (input as { qty: number }).qty }));
  await engine.start();
  const run = await engine.startRun({
    segment: {
      segment_id: 'reserve',
      steps: [{ step_id: 'r', step_type: 'action', config: { action: 'reserve' } }],
    },
    input: { qty: 2 },
  });
  expect((await engine.waitForRun(run.runId)).outputs).toEqual({ r: { reserved: 2 } });
  await engine.stop();
});

test('the README tracing example records a step span and a run span under the caller', async () => {
  const { context } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
    '@opentelemetry/sdk-trace-base'
  );
  const { DurableIdGenerator } = await import('@llmteam/core');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    idGenerator: new DurableIdGenerator(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const engine = createEngine({ store: new MemoryStore(), telemetry: { tracerProvider: provider } });
  const run = await engine.startRun({
    segment: {
      segment_id: 'greet',
      steps: [{ step_id: 'shout', step_type: 'transform', config: { expression: '$uppercase(name)' } }],
    },
    input: { name: 'ada' },
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  });
  await engine.waitForRun(run.runId);
  expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['step shout', 'run greet']);
  expect(exporter.getFinishedSpans()[1]!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  await engine.stop();
  context.disable();
});

test('the README sealed-fields example seals the tax id and opens it on unseal', async () => {
  const { randomBytes } = await import('node:crypto');
  const { staticKeyProvider, isSealedValue } = await import('@llmteam/core');
  const engine = createEngine({
    store: new MemoryStore(),
    sealing: { keys: staticKeyProvider({ keys: { k1: randomBytes(32) } }) },
  });
  const run = await engine.startRun({
    segment: {
      segment_id: 'kyc',
      steps: [
        {
          step_id: 'check',
          step_type: 'transform',
          sealed_fields: ['tax_id'],
          config: { expression: '{ "valid": $length(tax_id) = 11, "tax_id": tax_id }' },
        },
      ],
    },
    input: { tax_id: '12345678901' },
  });
  const done = await engine.waitForRun(run.runId);
  const check = (done.outputs as { check: { valid: boolean; tax_id: unknown } }).check;
  expect(check.valid).toBe(true);
  expect(isSealedValue(check.tax_id)).toBe(true);
  const opened = await engine.unseal(run.runId, { stepId: 'check', reason: 'audit request 4' });
  expect((opened.value as { output: { tax_id: string } }).output.tax_id).toBe('12345678901');
  expect((await engine.store.listAudit('default')).map((a) => a.action)).toContain('run.unsealed');
  await engine.stop();
});
