import {
  type Commit,
  type ConversationNode,
  createEngine,
  type Engine,
  MemoryStore,
  type SegmentDefinition,
  type StoredAgentState,
} from '@llmteam/core';
import { type LlmTestRequest, type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import plugin from './index.js';

let llm: LlmTestServer;
const TURNS = 20;
const toolResults = (request: LlmTestRequest) =>
  (request.body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;
beforeAll(async () => {
  // Each turn looks a SKU up (about 300 bytes of result) until TURNS lookups are done.
  llm = await startOpenAiTestServer({
    fallback: (request) => {
      const n = toolResults(request);
      return n < TURNS - 1
        ? {
            text: `Looking up item ${n + 1}.`,
            toolCalls: [{ id: `c${n + 1}`, name: 'lookup', arguments: { sku: `SKU-${n + 1}` } }],
          }
        : { text: `Done after ${n} lookups.` };
    },
  });
});
afterAll(() => llm.close());
beforeEach(() => llm.reset());

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 50 });
});

const segment = (extra: Record<string, unknown> = {}): SegmentDefinition => ({
  segment_id: 'lookups',
  steps: [
    {
      step_id: 'agent',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You look items up.',
        max_turns: TURNS + 1,
        tools: [{ action: 'lookup' }],
        ...extra,
      },
    },
  ],
  edges: [],
});

/** Records every step checkpoint the engine commits. */
class RecordingStore extends MemoryStore {
  checkpoints: StoredAgentState[] = [];
  override async commit(commit: Commit) {
    for (const step of commit.steps ?? [])
      if ((step.checkpoint as StoredAgentState | undefined)?.v === 2)
        this.checkpoints.push(step.checkpoint as StoredAgentState);
    return super.commit(commit);
  }
}

async function boot(store: MemoryStore) {
  const engine = createEngine({ store, plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }] });
  engine.actions.defineFunction('lookup', async (input) => ({
    ...(input as object),
    description: 'A widget of the standard kind, boxed, with the manual in four languages.'.repeat(3),
    in_stock: true,
  }));
  engines.push(engine);
  await engine.start();
  return engine;
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
const chain = (head?: ConversationNode) => {
  const nodes: ConversationNode[] = [];
  for (let n = head; n; n = n.prev) nodes.push(n);
  return nodes;
};

describe('the conversation in the step state', () => {
  test('a 20-turn conversation is stored once: each commit adds only its new messages (linear, not quadratic)', async () => {
    const store = new RecordingStore();
    const engine = await boot(store);
    const run = await engine.startRun({ segment: segment(), input: { order: 1 } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ agent: `Done after ${TURNS - 1} lookups.` });
    const { checkpoints } = store;
    expect(checkpoints.length).toBeGreaterThanOrEqual(2 * TURNS - 1);

    // What a store that keeps each sub-value once by content hash writes per commit: the
    // nodes it has not seen, plus the rest of the state.
    const seen = new Set<string>();
    const written = checkpoints.map(({ conversation, ...rest }) => {
      let sum = bytes(rest);
      for (const node of chain(conversation)) {
        if (seen.has(node.id)) break;
        seen.add(node.id);
        sum += bytes(node.messages) + 80;
      }
      return sum;
    });
    const last = checkpoints.at(-1)!;
    const conversationBytes = bytes(chain(last.conversation).flatMap((n) => n.messages));
    const total = written.reduce((a, b) => a + b, 0);
    // The old layout (the whole conversation in every checkpoint) wrote the sum of all sizes.
    const wholeEachTime = checkpoints.reduce(
      (sum, c) => sum + bytes(chain(c.conversation).flatMap((n) => n.messages)),
      0,
    );
    // Each commit writes under 1 KB (its new messages, the pending calls, the counters)
    // however long the conversation is, so the total grows linearly with the turns...
    expect(Math.max(...written)).toBeLessThan(1024);
    const half = Math.floor(written.length / 2);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(written.slice(half))).toBeLessThan(1.25 * sum(written.slice(0, half)));
    expect(total).toBeLessThan(conversationBytes + 1024 * written.length);
    // ...where the whole conversation in every checkpoint grew quadratically.
    expect(wholeEachTime).toBeGreaterThan(8 * conversationBytes);

    // Every checkpoint's chain is the previous one's plus a node (nothing copied or changed).
    for (let i = 1; i < checkpoints.length; i++) {
      const before = checkpoints[i - 1]!.conversation;
      const after = checkpoints[i]!.conversation;
      expect(after === before || after?.prev === before).toBe(true);
    }
    // The state header stays small however long the conversation gets.
    const { conversation: _c, ...header } = last;
    expect(bytes(header)).toBeLessThan(400);
    expect(chain(last.conversation).flatMap((n) => n.messages)).toHaveLength(2 + 2 * (TURNS - 1) + 1);
  });

  test('the size guard fails the step with a typed error naming max_conversation_bytes, before the next call', async () => {
    const engine = await boot(new MemoryStore());
    const run = await engine.startRun({
      segment: segment({ max_conversation_bytes: 2000 }),
      input: { order: 1 },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('failed');
    const [step] = await engine.store.getSteps('default', run.runId);
    expect(step?.error).toMatchObject({
      code: 'LLMT_E_AGENT_CONVERSATION_TOO_LARGE',
      message: expect.stringMatching(/over the limit of 2000 \(max_conversation_bytes\)/),
    });
    // The conversation passed 2000 bytes with the third or fourth tool result: no more calls went out.
    expect(llm.calls).toBeLessThan(6);
    expect(llm.calls).toBeGreaterThanOrEqual(3);
  });
});
