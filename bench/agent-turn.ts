/**
 * Agent turn overhead: an `llm_agent` step of 5 turns (4 tool calls, then the answer)
 * against the OpenAI model test server, compared in the same run with calling the same
 * provider client directly for the same 5 calls (streamed, the conversation growing the
 * same way) and the same function tool. Runs alternate between the two so load hits both
 * alike. Target on MemoryStore: agent per turn <= 1.1x direct + 0.5 ms; SQLite reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createEngine,
  type Engine,
  type LlmMessage,
  MemoryStore,
  type SegmentDefinition,
  type Store,
  silentLogger,
} from '@llmteam/core';
import openai from '@llmteam/llm-openai';
import { createSqliteStore } from '@llmteam/store-sqlite';
import { type LlmTestRequest, startOpenAiTestServer } from '@llmteam/testkit';

const TURNS = 5;
const toolResults = (request: LlmTestRequest) =>
  (request.body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;

const segment: SegmentDefinition = {
  segment_id: 'bench_agent_turns',
  steps: [
    {
      step_id: 'agent',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-bench',
        system_prompt: 'You look items up.',
        prompt: '"Look up " & $string(n)',
        max_turns: TURNS + 1,
        tools: [{ action: 'lookup' }],
      },
    },
  ],
  edges: [],
};

const lookup = async (input: unknown) => ({ ...(input as object), in_stock: true, unit_price: 12.5 });
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The same 5 calls the agent makes, straight on the provider client. */
async function direct(engine: Engine): Promise<number> {
  const provider = engine.resources.llms.local!;
  const messages: LlmMessage[] = [
    { role: 'system', content: 'You look items up.' },
    { role: 'user', content: 'Look up 1' },
  ];
  const t0 = performance.now();
  for (let turn = 1; turn <= TURNS; turn++) {
    const answer = await provider.chat({ model: 'gpt-bench', messages, onDelta: () => {} });
    messages.push({ role: 'assistant', content: answer.content, toolCalls: answer.toolCalls });
    for (const call of answer.toolCalls) {
      const result = await lookup(JSON.parse(call.arguments));
      messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: JSON.stringify(result) });
    }
  }
  return performance.now() - t0;
}

async function measure(store: Store, url: string, runs: number) {
  const engine = createEngine({
    store,
    logger: silentLogger,
    plugins: [{ plugin: openai, options: { name: 'local', baseUrl: url } }],
  });
  engine.actions.defineFunction('lookup', lookup);
  await engine.start();
  await engine.upsertSegment(segment);
  const done = new Map<string, () => void>();
  let failed = 0;
  const off = engine.onEvent(
    (e) => {
      if (e.type === 'run.failed') failed++;
      done.get(e.run_id)?.();
    },
    { types: ['run.completed', 'run.failed'] },
  );
  const agent = async (n: number) => {
    const t0 = performance.now();
    let resolve!: () => void;
    const finished = new Promise<void>((r) => {
      resolve = r;
    });
    const run = await engine.startRun({ segmentId: segment.segment_id, input: { n } });
    done.set(run.runId, resolve);
    const now = (await engine.getRun(run.runId))?.run.status;
    if (now !== 'completed' && now !== 'failed') await finished;
    return performance.now() - t0;
  };
  for (let i = 0; i < 20; i++) {
    await agent(i);
    await direct(engine);
  }
  const agentMs: number[] = [];
  const directMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    agentMs.push(await agent(i));
    directMs.push(await direct(engine));
  }
  off();
  await engine.stop();
  const agentTurn = median(agentMs) / TURNS;
  const directTurn = median(directMs) / TURNS;
  return {
    runs,
    turnsPerRun: TURNS,
    agentMsPerTurn: round(agentTurn),
    directMsPerTurn: round(directTurn),
    overheadMsPerTurn: round(agentTurn - directTurn),
    ratio: round(agentTurn / directTurn),
    limitMsPerTurn: round(1.1 * directTurn + 0.5),
    target: 'agent per turn <= 1.1x direct + 0.5 ms (MemoryStore)',
    pass: agentTurn <= 1.1 * directTurn + 0.5,
    ...(failed ? { failedRuns: failed } : {}),
  };
}

export async function run() {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 200;
  const llm = await startOpenAiTestServer({
    fallback: (request) => {
      const n = toolResults(request);
      return n < TURNS - 1
        ? {
            text: `Looking up item ${n + 1}.`,
            toolCalls: [{ id: `c${n + 1}`, name: 'lookup', arguments: { sku: `SKU-${n + 1}`, qty: 2 } }],
          }
        : { text: 'All items are in stock at 12.50 EUR.' };
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-agent-'));
  try {
    const memory = await measure(new MemoryStore(), llm.url, runs);
    const sqliteStore = createSqliteStore({ path: join(dir, 'agent.sqlite') });
    await sqliteStore.init();
    const sqlite = { ...(await measure(sqliteStore, llm.url, Math.ceil(runs / 2))), target: 'reported' };
    delete (sqlite as { pass?: boolean }).pass;
    await sqliteStore.close();
    return { memory, sqlite };
  } finally {
    await llm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
