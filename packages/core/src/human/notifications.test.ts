import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  createEngine,
  defineChannel,
  type Engine,
  MemoryStore,
  type Notification,
  type SegmentDefinition,
  verifyResponseToken,
  type WorktrailEvent,
} from '../index.js';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

function segment(id: string, priority: string): SegmentDefinition {
  return {
    segment_id: id,
    steps: [
      {
        step_id: 'ask',
        step_type: 'human_task',
        config: {
          task_type: 'approval',
          title: `Approve ${id}`,
          assignee_ref: 'alice',
          priority,
          timeout: 'PT2H',
        },
      },
      { step_id: 'next', step_type: 'transform', config: { expression: '"next"' } },
    ],
    edges: [{ source_step: 'ask', source_port: 'approved', target_step: 'next' }],
  };
}

async function notified(engine: Engine, runId: string, count: number): Promise<WorktrailEvent[]> {
  let events: WorktrailEvent[] = [];
  await vi.waitFor(
    async () => {
      events = (await engine.store.listEvents('default', runId)).filter(
        (e) => e.type === 'interaction.notified',
      );
      expect(events.length).toBeGreaterThanOrEqual(count);
    },
    { timeout: 10_000, interval: 10 },
  );
  return events;
}

describe('notifications', () => {
  test('a failing or slow channel never blocks the run nor the other channels; channels are routed by priority', async () => {
    const received: Record<string, Notification[]> = { ok: [], urgent: [], slow: [], broken: [] };
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => {
      releaseSlow = r;
    });
    const channels = [
      defineChannel({
        name: 'ok',
        async send(n) {
          received.ok.push(n);
          return { ok: true, messageId: `m-${received.ok.length}` };
        },
      }),
      defineChannel({
        name: 'urgent',
        priorities: ['high', 'critical'],
        async send(n) {
          received.urgent.push(n);
          return { ok: true };
        },
      }),
      defineChannel({
        name: 'slow',
        async send(n) {
          received.slow.push(n);
          await slowGate;
          return { ok: true };
        },
      }),
      defineChannel({
        name: 'broken',
        async send(n) {
          received.broken.push(n);
          throw new Error('SMTP relay refused');
        },
      }),
    ];
    const engine = createEngine({
      store: new MemoryStore(),
      channels,
      publicUrl: 'https://llmteam.example.com/',
      linkSecret: 'test-secret',
    });
    engines.push(engine);

    const normal = await engine.startRun({ segment: segment('normal', 'normal'), input: 1 });
    expect((await engine.waitForRun(normal.runId)).status).toBe('waiting_human');
    const events = await notified(engine, normal.runId, 2);
    const byChannel = Object.fromEntries(events.map((e) => [e.data.channel, e.data]));
    expect(byChannel.ok).toMatchObject({ ok: true, message_id: 'm-1', reason: 'requested' });
    expect(byChannel.broken).toMatchObject({ ok: false, error: 'SMTP relay refused' });
    expect(byChannel.slow).toBeUndefined();
    expect(received.urgent).toHaveLength(0);
    const [request] = await engine.listInteractions({ runId: normal.runId });
    expect(request.status).toBe('notified');

    // The slow channel still has not answered: the run goes on regardless.
    await engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } });
    expect((await engine.waitForRun(normal.runId, { until: ['completed', 'failed'] })).status).toBe(
      'completed',
    );

    const critical = await engine.startRun({ segment: segment('critical', 'critical'), input: 2 });
    await engine.waitForRun(critical.runId);
    await notified(engine, critical.runId, 3);
    expect(received.urgent.map((n) => n.interaction.priority)).toEqual(['critical']);
    expect(received.ok).toHaveLength(2);

    releaseSlow();
    const late = await notified(engine, normal.runId, 3);
    expect(late.map((e) => e.data.channel).sort()).toEqual(['broken', 'ok', 'slow']);

    // What a channel gets: recipients, links, and a signer whose tokens the gateway can verify.
    const sent = received.ok[0];
    expect(sent.recipients).toEqual({ users: ['alice'], groups: [] });
    expect(sent.links.respondUrl).toBe('https://llmteam.example.com/respond');
    expect(sent.interaction.settings.timerIds).toBeUndefined();
    const token = sent.signLink!('alice', 'approve');
    const payload = verifyResponseToken(token, 'test-secret', {
      now: Date.parse(sent.interaction.createdAt),
    });
    expect(payload).toMatchObject({
      interactionId: sent.interaction.interactionId,
      recipient: 'alice',
      action: 'approve',
      expiresAt: sent.interaction.deadline,
    });
  });

  test('a channel reads secrets by name for the tenant, and what it reports is scrubbed of them', async () => {
    const token = 'xoxb-canary-7d1f0c9e';
    const seen: string[] = [];
    const channels = [
      defineChannel({
        name: 'echo',
        async send(_n, ctx) {
          const value = await ctx.secret('chat_token', 'tokenSecret');
          seen.push(ctx.redact(`token ${value}`));
          // A far side that quotes the token back, cut short by the channel after scrubbing.
          return { ok: false, error: ctx.redact(`401: bad token ${value}`).slice(0, 20) };
        },
      }),
      defineChannel({
        name: 'unset',
        async send(_n, ctx) {
          await ctx.secret('not_there', 'passwordSecret');
          return { ok: true };
        },
      }),
    ];
    const engine = createEngine({
      store: new MemoryStore(),
      channels,
      secrets: {
        name: 'test',
        get: async (name, scope) =>
          name === 'chat_token' && scope.tenantId === 'default' ? token : undefined,
      },
    });
    engines.push(engine);
    const run = await engine.startRun({ segment: segment('secrets', 'normal'), input: 1 });
    const events = await notified(engine, run.runId, 2);
    const byChannel = Object.fromEntries(events.map((e) => [e.data.channel, e.data]));
    expect(seen).toEqual(['token [secret]']);
    expect(byChannel.echo).toMatchObject({ ok: false, error: '401: bad token [secr' });
    expect(byChannel.unset).toMatchObject({ ok: false });
    expect(byChannel.unset?.error).toMatch(/channel "unset": option passwordSecret names secret "not_there"/);
    expect(JSON.stringify(events)).not.toContain('canary');
  });
});
