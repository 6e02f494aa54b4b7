import { describe, expect, test } from 'vitest';
import {
  createEngine,
  type LlmProvider,
  type LlmRequest,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  SegmentValidationError,
} from '../index.js';

const clock = () => new ManualClock(Date.parse('2026-01-01T00:00:00Z'));

function routed(router: Record<string, unknown>): SegmentDefinition {
  return {
    segment_id: 'triage',
    steps: [
      {
        step_id: 'route',
        step_type: 'router',
        config: router,
        outputs: [{ port_id: 'urgent' }, { port_id: 'normal' }, { port_id: 'spam' }],
      },
      { step_id: 'page', step_type: 'transform', config: { expression: '"paged " & subject' } },
      { step_id: 'queue', step_type: 'transform', config: { expression: '"queued " & subject' } },
      { step_id: 'drop', step_type: 'transform', config: { expression: '"dropped " & subject' } },
    ],
    edges: [
      { source_step: 'route', source_port: 'urgent', target_step: 'page' },
      { source_step: 'route', source_port: 'normal', target_step: 'queue' },
      { source_step: 'route', source_port: 'spam', target_step: 'drop' },
    ],
  };
}

const rules = {
  routes: [
    { port: 'spam', when: "$contains(subject, 'WIN')" },
    { port: 'urgent', when: "priority = 'high'" },
  ],
  default: 'normal',
};

/** A provider that answers from a script and records each request. */
function scripted(answers: string[], requests: LlmRequest[] = []): LlmProvider {
  return {
    name: 'scripted',
    async chat(request) {
      requests.push(request);
      const content = answers.shift();
      if (content === undefined) throw new Error('no scripted answer left');
      return { content, toolCalls: [], finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 4 } };
    },
  };
}

describe('router step', () => {
  test('rules: the first matching predicate wins; the decision and its reason are events; untaken routes are skipped', async () => {
    const engine = createEngine({ store: new MemoryStore(), clock: clock() });
    const run = await engine.startRun({
      segment: routed(rules),
      input: { subject: 'server down', priority: 'high' },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ page: 'paged server down' });
    const events = await engine.store.listEvents('default', run.runId);
    const decided = events.find((e) => e.type === 'router.decided');
    expect(decided).toMatchObject({
      step_id: 'route',
      data: { route: 'urgent', mode: 'rules', rule: 1, reason: "matched priority = 'high'" },
    });
    // The decision lands in the step's completion commit, right before step.completed.
    expect(events[events.indexOf(decided!) + 1]).toMatchObject({ type: 'step.completed', step_id: 'route' });
    const skipped = events.filter((e) => e.type === 'step.skipped').map((e) => e.step_id);
    expect(skipped.sort()).toEqual(['drop', 'queue']);
  });

  test('rules: no match takes the default, marked as defaulted', async () => {
    const engine = createEngine({ store: new MemoryStore(), clock: clock() });
    const run = await engine.startRun({
      segment: routed(rules),
      input: { subject: 'hello', priority: 'low' },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ queue: 'queued hello' });
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.find((e) => e.type === 'router.decided')?.data).toMatchObject({
      route: 'normal',
      defaulted: true,
      reason: 'no rule matched',
    });
  });

  test('rules: no match and no default fails the step with LLMT_E_ROUTER_NO_ROUTE naming the field', async () => {
    const engine = createEngine({ store: new MemoryStore(), clock: clock() });
    const run = await engine.startRun({
      segment: routed({ routes: rules.routes }),
      input: { subject: 'hello', priority: 'low' },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'LLMT_E_ROUTER_NO_ROUTE' });
    expect(done.error?.message).toContain('router step "route", config.default');
  });

  test('llm: the model picks a route under a constrained schema; usage and reason are recorded', async () => {
    const requests: LlmRequest[] = [];
    const llm = scripted(['{"route":"spam","reason":"prize bait"}'], requests);
    const engine = createEngine({
      store: new MemoryStore(),
      clock: clock(),
      resources: { llms: { scripted: llm } },
    });
    const segment = routed({
      provider: 'scripted',
      model: 'm',
      routes: [
        { port: 'urgent', description: 'an outage or a security incident' },
        { port: 'normal', description: 'everything else' },
        { port: 'spam', description: 'unsolicited mail' },
      ],
    });
    const run = await engine.startRun({ segment, input: { subject: 'WIN a car' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ drop: 'dropped WIN a car' });
    expect(requests).toHaveLength(1);
    const schema = requests[0]!.outputSchema!.schema as { properties: { route: { enum: string[] } } };
    expect(schema.properties.route.enum).toEqual(['urgent', 'normal', 'spam']);
    expect(requests[0]!.messages[0]!.content).toContain('an outage or a security incident');
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.find((e) => e.type === 'router.decided')?.data).toMatchObject({
      route: 'spam',
      reason: 'prize bait',
      mode: 'llm',
    });
    expect(events.find((e) => e.type === 'model.call.completed')?.data).toMatchObject({
      usage: { input_tokens: 12, output_tokens: 4 },
    });
  });

  test('llm: an answer naming no declared route takes the default, or fails without one', async () => {
    const llm = scripted(['{"route":"escalate","reason":"?"}', 'not json']);
    const engine = createEngine({
      store: new MemoryStore(),
      clock: clock(),
      resources: { llms: { scripted: llm } },
    });
    const routes = [{ port: 'urgent' }, { port: 'normal' }, { port: 'spam' }];
    const first = await engine.startRun({
      segment: routed({ provider: 'scripted', routes, default: 'normal' }),
      input: { subject: 'x' },
    });
    const a = await engine.waitForRun(first.runId, { until: ['completed', 'failed'] });
    expect(a.outputs).toEqual({ queue: 'queued x' });
    const second = await engine.startRun({
      segment: { ...routed({ provider: 'scripted', routes }), segment_id: 'strict' },
      input: { subject: 'y' },
    });
    const b = await engine.waitForRun(second.runId, { until: ['completed', 'failed'] });
    expect(b.status).toBe('failed');
    expect(b.error).toMatchObject({ code: 'LLMT_E_ROUTER_NO_ROUTE' });
  });

  test('validation: a route or default naming no declared port is an unknown_route problem with its path', () => {
    const engine = createEngine({ store: new MemoryStore() });
    const result = engine.validate(
      routed({
        routes: [
          { port: 'urgnet', when: 'true' },
          { port: 'spam', when: '(' },
        ],
        default: 'later',
      }),
    );
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: '$.steps[0].config.routes[0].port',
          code: 'unknown_route',
          message: expect.stringContaining('route "urgnet" names no declared output port of step "route"'),
        }),
        expect.objectContaining({ path: '$.steps[0].config.default', code: 'unknown_route' }),
        expect.objectContaining({ path: '$.steps[0].config.routes[1].when', code: 'invalid_step' }),
      ]),
    );
    const noOutputs = engine.validate({
      segment_id: 'r',
      steps: [{ step_id: 'r', step_type: 'router', config: { routes: [{ port: 'a' }] } }],
    });
    expect(noOutputs.problems).toEqual([
      expect.objectContaining({ path: '$.steps[0].outputs', code: 'unknown_route' }),
    ]);
  });

  test('upserting an invalid router throws SegmentValidationError listing the route path', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const error = await engine
      .upsertSegment(routed({ routes: [{ port: 'nope', when: 'true' }] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SegmentValidationError);
    expect((error as SegmentValidationError).problems.map((p) => p.path)).toContain(
      '$.steps[0].config.routes[0].port',
    );
  });
});
