/**
 * Engine memory per agent suspended on a tool approval: N `llm_agent` runs (10,000 by
 * default, `--runs N`) each get a model answer that calls `create_order`, which needs an
 * approval, and wait. `engineBytesPerAgent` is the heap the engine holds for them beyond its
 * fixed cost (the heap with engine and store, minus the same store alone once the engine is
 * stopped and dropped, minus an engine with 10 waiting agents); `storeBytesPerAgent` is what
 * the MemoryStore holds (records, events, the interaction). Run with `--expose-gc`.
 * Target: engine < 2 KB per suspended agent.
 */
import {
  createEngine,
  type Engine,
  MemoryStore,
  type SegmentDefinition,
  type Store,
  silentLogger,
} from '@llmteam/core';
import openai from '@llmteam/llm-openai';
import { startOpenAiTestServer } from '@llmteam/testkit';
import { heap, startWaiting } from './waiting-runs.js';

const segment: SegmentDefinition = {
  segment_id: 'bench_agent_approval',
  steps: [
    {
      step_id: 'execute',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-bench',
        system_prompt: 'You place orders.',
        prompt: '"Create order " & $string(n)',
        tools: [
          {
            action: 'create_order',
            requires_approval: 'amount > 1000',
            assignee_ref: 'group:finance',
            parameters: { type: 'object', properties: { amount: { type: 'number' } } },
          },
        ],
      },
    },
  ],
  edges: [],
};

function makeEngine(store: Store, url: string): Engine {
  const engine = createEngine({
    store,
    logger: silentLogger,
    plugins: [{ plugin: openai, options: { name: 'local', baseUrl: url } }],
  });
  engine.actions.defineFunction('create_order', async () => ({ order_id: 'o-1' }));
  return engine;
}

export async function run() {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 10_000;
  const llm = await startOpenAiTestServer({
    fallback: () => ({
      text: 'The order is over 1000, so finance approves it first.',
      toolCalls: [{ id: 'c1', name: 'create_order', arguments: { amount: 1500 } }],
    }),
  });
  try {
    // The engine's fixed cost (catalog, compiled schemas, the provider's client, caches).
    const fixedStore = new MemoryStore();
    let fixedEngine: Engine | undefined = makeEngine(fixedStore, llm.url);
    await fixedEngine.start();
    await fixedEngine.upsertSegment(segment);
    await startWaiting(fixedEngine, {
      segmentId: segment.segment_id,
      count: 10,
      from: 0,
      inFlight: 100,
      settleMs: 100,
    });
    const withFixed = await heap();
    await fixedEngine.stop();
    fixedEngine = undefined;
    const engineFixedBytes = withFixed - (await heap());

    const store = new MemoryStore();
    let engine: Engine | undefined = makeEngine(store, llm.url);
    await engine.start();
    await engine.upsertSegment(segment);
    await startWaiting(engine, {
      segmentId: segment.segment_id,
      count: 10,
      from: 0,
      inFlight: 100,
      settleMs: 100,
    });
    const h0 = await heap();
    const t0 = performance.now();
    await startWaiting(engine, {
      segmentId: segment.segment_id,
      count: runs,
      from: 10,
      inFlight: 100,
      settleMs: 100,
    });
    const startSeconds = (performance.now() - t0) / 1000;
    const h1 = await heap();
    const drivers = (engine as unknown as { drivers?: Map<string, unknown> }).drivers?.size;
    const open = await engine.listInteractions({ status: ['pending', 'notified'] });
    await engine.stop();
    engine = undefined;
    const h2 = await heap();
    const engineBytes = h1 - h2 - engineFixedBytes;
    const storeBytes = h2 - h0 + engineFixedBytes;
    const perAgent = engineBytes / runs;
    return {
      agents: runs,
      openApprovals: open.length,
      startAgentsPerSecond: Math.round(runs / startSeconds),
      engineBytesPerAgent: Math.round(perAgent),
      storeBytesPerAgent: Math.round(storeBytes / runs),
      engineFixedBytes,
      driversWhileWaiting: drivers,
      target: 'engine < 2048 bytes per suspended agent',
      pass: perAgent < 2048,
    };
  } finally {
    await llm.close();
  }
}
