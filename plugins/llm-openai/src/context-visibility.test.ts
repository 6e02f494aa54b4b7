import { randomBytes } from 'node:crypto';
import {
  createEngine,
  type Engine,
  isSealedValue,
  MemoryStore,
  type SegmentDefinition,
  staticKeyProvider,
} from '@llmteam/core';
import { type LlmTestRequest, useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import plugin from './index.js';

const llm = useOpenAiTestServer(
  { beforeAll, afterAll, beforeEach },
  { fallback: (request) => reply(request) },
);

type Message = { role: string; content?: string | null; tool_call_id?: string };
const messagesOf = (request: LlmTestRequest) => request.body.messages as Message[];
const systemOf = (request: LlmTestRequest) => messagesOf(request)[0]?.content ?? '';
const requestsOf = (prefix: string) => llm.requests.filter((r) => systemOf(r).startsWith(prefix));
const TAX_ID = 'DE-998877665';

/** A KYC agent that answers with a tax id (sealed by its segment), a pricing agent, and a supervisor over both. */
function reply(request: LlmTestRequest) {
  const system = systemOf(request);
  if (system.startsWith('You check customers'))
    return { text: JSON.stringify({ customer: 'acme', tax_id: TAX_ID, verdict: 'clear' }) };
  if (system.startsWith('You price')) return { text: '{"price":120}' };
  if (system.startsWith('You summarise'))
    return { text: `summary of ${messagesOf(request).at(-1)?.content}` };
  if (!system.startsWith('You supervise')) return { status: 400, message: 'unknown agent' };
  const results = messagesOf(request).filter((m) => m.role === 'tool');
  if (!results.length)
    return {
      toolCalls: [
        { id: 'k1', name: 'kyc', arguments: { customer: 'acme', iban: 'DE00 1234' } },
        { id: 'p1', name: 'price', arguments: { sku: 'T-1' } },
      ],
    };
  return { text: results.map((m) => m.content).join(' / ') };
}

const kyc: SegmentDefinition = {
  segment_id: 'kyc',
  sealed_fields: ['tax_id'],
  steps: [
    {
      step_id: 'check',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You check customers.',
        output_schema: { type: 'object', required: ['verdict'] },
        memory: { write: ['verdict'] },
      },
    },
  ],
  edges: [],
};

const pricing: SegmentDefinition = {
  segment_id: 'pricing',
  steps: [
    {
      step_id: 'quote',
      step_type: 'llm_agent',
      config: { provider: 'local', model: 'gpt-test', system_prompt: 'You price teas.' },
    },
  ],
  edges: [],
};

const supervisor: SegmentDefinition = {
  segment_id: 'desk',
  steps: [
    {
      step_id: 'lead',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You supervise a KYC agent and a pricing agent.',
        tools: [
          { segment_id: 'kyc', name: 'kyc' },
          { segment_id: 'pricing', name: 'price' },
        ],
      },
    },
  ],
  edges: [],
};

/** `segment` step over the KYC child, then a summariser, beside a pricing agent (siblings). */
const orchestrated: SegmentDefinition = {
  segment_id: 'onboarding',
  steps: [
    { step_id: 'fan', step_type: 'parallel_split', outputs: [{ port_id: 'a' }, { port_id: 'b' }] },
    { step_id: 'kyc_run', step_type: 'segment', config: { segment_id: 'kyc' } },
    {
      step_id: 'summary',
      step_type: 'llm_agent',
      config: { provider: 'local', model: 'gpt-test', system_prompt: 'You summarise checks.' },
    },
    {
      step_id: 'quote',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You price teas.',
        prompt: '"Price " & sku',
        memory: { read: ['verdict'] },
      },
    },
  ],
  edges: [
    { source_step: 'fan', source_port: 'a', target_step: 'kyc_run', target_port: 'input' },
    { source_step: 'fan', source_port: 'b', target_step: 'quote', target_port: 'input' },
    { source_step: 'kyc_run', source_port: 'output', target_step: 'summary', target_port: 'input' },
  ],
};

async function engineWith(...segments: SegmentDefinition[]): Promise<Engine> {
  const engine = createEngine({
    store: new MemoryStore(),
    sealing: { keys: staticKeyProvider({ keys: { k1: randomBytes(32) } }) },
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
  for (const segment of segments) await engine.upsertSegment(segment);
  await engine.start();
  return engine;
}

describe('context visibility', () => {
  test('a supervisor sees its children’s visible outputs, a sealed one only as "[sealed]"', async () => {
    const engine = await engineWith(kyc, pricing, supervisor);
    const run = await engine.startRun({ segmentId: 'desk', input: { question: 'onboard acme' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    await engine.stop();
    expect([done.status, done.error?.message]).toEqual(['completed', undefined]);
    const second = requestsOf('You supervise')[1]!;
    const results = Object.fromEntries(
      messagesOf(second)
        .filter((m) => m.role === 'tool')
        .map((m) => [m.tool_call_id, JSON.parse(m.content ?? 'null')]),
    );
    expect(results).toEqual({
      k1: { check: { customer: 'acme', tax_id: '[sealed]', verdict: 'clear' } },
      p1: { quote: '{"price":120}' },
    });
    expect(JSON.stringify(llm.requests.filter((r) => systemOf(r).startsWith('You supervise')))).not.toContain(
      TAX_ID,
    );
    // The child's sealed output is stored sealed, and its ciphertext never reached the model.
    const child = (await engine.store.listRuns('default')).items.find((r) => r.segmentId === 'kyc')!;
    expect(isSealedValue((child.outputs as { check: { tax_id: unknown } }).check.tax_id)).toBe(true);
    expect(JSON.stringify(second.body)).not.toContain('$sealed');
  });

  test('sibling agents never see each other’s input, output or memory', async () => {
    const engine = await engineWith(kyc, pricing, supervisor);
    const run = await engine.startRun({ segmentId: 'desk', input: { question: 'onboard acme' } });
    await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    await engine.stop();
    // The pricing child ran beside the KYC child in the same turn: it saw its own arguments only.
    const [price] = requestsOf('You price');
    expect(messagesOf(price!).map((m) => m.content)).toEqual(['You price teas.', '{"sku":"T-1"}']);
    const [check] = requestsOf('You check customers');
    expect(JSON.stringify(check!.body)).not.toMatch(/T-1|onboard acme/);
    expect(JSON.stringify(check!.body)).toContain('DE00 1234');
  });

  test('a segment step passes its child’s outputs on sealed; its sibling sees nothing of them', async () => {
    const engine = await engineWith(kyc, orchestrated);
    const run = await engine.startRun({ segmentId: 'onboarding', input: { customer: 'acme', sku: 'T-1' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    expect([done.status, done.error?.message]).toEqual(['completed', undefined]);
    const steps = await engine.store.getSteps('default', run.runId);
    const output = steps.find((s) => s.stepId === 'kyc_run')!.outputs as {
      output: { check: { verdict: string; tax_id: unknown } };
    };
    expect(output.output.check.verdict).toBe('clear');
    expect(isSealedValue(output.output.check.tax_id)).toBe(true);
    // The step after it (no owner of the sealed path) hands the model no plaintext.
    expect(JSON.stringify(requestsOf('You summarise'))).not.toContain(TAX_ID);
    expect(messagesOf(requestsOf('You summarise')[0]!).at(-1)?.content).toBe(
      '{"check":{"customer":"acme","tax_id":"[sealed]","verdict":"clear"}}',
    );
    // The sibling saw neither the KYC input nor its result, nor the KYC agent's memory.
    const [quote] = requestsOf('You price');
    expect(messagesOf(quote!).map((m) => m.content)).toEqual(['You price teas.', 'Price T-1']);
    expect(await engine.memory.agent('default', 'check').get('verdict')).toBe('clear');
    await engine.stop();
  });
});
