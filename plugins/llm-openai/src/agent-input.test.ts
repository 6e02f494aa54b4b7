import { createEngine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import { type LlmTestRequest, startOpenAiTestServer } from '@llmteam/testkit';
import { expect, test } from 'vitest';
import plugin from './index.js';

type Message = { role: string; content?: string | null };

/** Drafts from what the prompt and any feedback say. */
function reply(request: LlmTestRequest) {
  const users = (request.body.messages as Message[]).filter((m) => m.role === 'user');
  return { text: users.map((m) => m.content).join(' | ') };
}

const segment: SegmentDefinition = {
  segment_id: 'agent_review',
  steps: [
    {
      step_id: 'draft',
      step_type: 'llm_agent',
      config: { provider: 'local', model: 'gpt-test', prompt: '"Note for " & version' },
    },
    {
      step_id: 'review',
      step_type: 'human_task',
      config: {
        task_type: 'review',
        title: 'Review the note',
        assignee_ref: 'group:editors',
        max_revisions: 2,
      },
    },
  ],
  edges: [
    { source_step: 'draft', target_step: 'review' },
    {
      source_step: 'review',
      source_port: 'changes_requested',
      target_step: 'draft',
      target_port: 'feedback',
    },
  ],
};

test('an agent works on its input port; feedback of a revision loop is a message of its own', async () => {
  const llm = await startOpenAiTestServer({ fallback: reply });
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
  try {
    await engine.start();
    const run = await engine.startRun({ segment, input: { version: '2.4' } });
    await engine.waitForRun(run.runId, { until: ['waiting_human'] });
    const [first] = await engine.listInteractions({ runId: run.runId, status: ['pending', 'notified'] });
    await engine.respond(first!.interactionId, {
      action: 'request_changes',
      comment: 'mention the speed-up',
    });
    await engine.waitForRun(run.runId, { until: ['waiting_human'] });
    const texts = llm.requests.map((r) =>
      (r.body.messages as Message[]).filter((m) => m.role === 'user').map((m) => m.content),
    );
    expect(texts[0]).toEqual(['Note for 2.4']);
    expect(texts[1]?.[0]).toBe('Note for 2.4');
    expect(texts[1]?.[1]).toMatch(/^Feedback on your previous answer: .*mention the speed-up/);
  } finally {
    await engine.stop();
    await llm.close();
  }
});
