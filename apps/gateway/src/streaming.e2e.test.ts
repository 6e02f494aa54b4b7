import { createLlmteamClient, type WorktrailEvent } from '@llmteam/client';
import { createEngine, MemoryStore } from '@llmteam/core';
import openAiPlugin from '@llmteam/llm-openai';
import { type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from './logger.js';
import { startTestGateway, type TestGateway } from './test-support.js';

const ANSWER = 'Order o-7 is priced at 1200 EUR; it needs the approval of finance before it ships.';

describe('streamed agent output over graphql-ws', () => {
  let llm: LlmTestServer;
  let t: TestGateway;
  beforeAll(async () => {
    llm = await startOpenAiTestServer();
    const store = new MemoryStore();
    const engine = createEngine({
      store,
      logger: createLogger({ level: 'silent' }),
      pollIntervalMs: 50,
      plugins: [{ plugin: openAiPlugin, options: { name: 'local', baseUrl: llm.url } }],
    });
    t = await startTestGateway({ engine, store });
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });

  it('runEvents and the client deliver step.progress in order; a late subscriber first gets the partial text', async () => {
    const secret = await t.key('default', ['operator']);
    const client = createLlmteamClient({ url: t.gateway.url, apiKey: secret, webSocketImpl: WebSocket });
    await client.upsertSegment({
      segment_id: 'pricer',
      version: '1',
      steps: [
        {
          step_id: 'price',
          step_type: 'llm_agent',
          config: { provider: 'local', model: 'gpt-test', prompt: '"Price " & id' },
        },
      ],
      edges: [],
    });
    llm.script({ text: ANSWER, chunkSize: 2, delayMs: 8 });
    const run = await client.startRun('pricer', { id: 'o-7' });

    const early: WorktrailEvent[] = [];
    let lastSeq = 0;
    let firstPiece!: () => void;
    const pieceSeen = new Promise<void>((resolve) => {
      firstPiece = resolve;
    });
    const watching = (async () => {
      for await (const e of client.watchRun(run.id)) {
        early.push(e);
        if (e.seq > 0) lastSeq = e.seq;
        if (e.type === 'step.progress') firstPiece();
      }
    })();
    await pieceSeen;
    // Joins mid-stream from where the first one is, as a reconnecting subscriber does.
    const resumeAfter = lastSeq;
    const late: WorktrailEvent[] = [];
    for await (const e of client.watchRun(run.id, { afterSeq: resumeAfter })) late.push(e);
    await watching;

    const spell = (events: WorktrailEvent[]) => {
      let text = '';
      for (const e of events.filter((x) => x.type === 'step.progress')) {
        const d = e.data as { offset: number; text: string };
        expect(d.offset).toBe(text.length);
        text += d.text;
      }
      return text;
    };
    expect(spell(early)).toBe(ANSWER);
    expect(early.at(-1)?.type).toBe('run.completed');
    expect(early.filter((e) => e.seq > 0).map((e) => e.seq)).toEqual(
      early.filter((e) => e.seq > 0).map((_, i) => i + 1),
    );
    const lateProgress = late.filter((e) => e.type === 'step.progress');
    expect(lateProgress[0]?.data).toMatchObject({ offset: 0, snapshot: true });
    expect(spell(late)).toBe(ANSWER);
    expect(late.some((e) => e.seq > 0 && e.seq <= resumeAfter)).toBe(false);
    const stored = await client.runEvents(run.id);
    expect(stored.some((e) => e.type === 'step.progress')).toBe(false);
    await client.close();
  }, 30_000);
});
