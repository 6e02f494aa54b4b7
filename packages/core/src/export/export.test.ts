import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import {
  createEngine,
  type Engine,
  exportOcel,
  exportXes,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
} from '../index.js';
import { createAjv } from '../util/ajv.js';
import {
  collect,
  commitAgentRun,
  OCEL_SCHEMA,
  xmllintAvailable,
  xmllintErrors,
} from './export-test-support.js';

const HOUR = 3600_000;
const CARD = '4111-1111-1111-1111';
const engines: Engine[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

const orders: SegmentDefinition = {
  segment_id: 'orders',
  version: '1.0.0',
  steps: [
    {
      step_id: 'price',
      step_type: 'transform',
      config: { expression: '{"total": amount * 2, "card": card}' },
    },
    {
      step_id: 'approve',
      step_type: 'human_task',
      config: {
        task_type: 'approval',
        title: 'Approve the order',
        assignee_ref: 'alice',
        sla_breach: 'PT1H',
        sealed_fields: ['card'],
      },
    },
    // Fails with the sealed card number in its error message.
    { step_id: 'charge', step_type: 'transform', config: { expression: '$error("declined: " & card)' } },
  ],
  edges: [
    { source_step: 'price', target_step: 'approve' },
    { source_step: 'approve', source_port: 'approved', target_step: 'charge' },
  ],
};

/** Three runs: approved after two hours (then the charge fails), rejected at once, cancelled while waiting. */
async function ordersStore(): Promise<{ store: MemoryStore; clock: ManualClock; runIds: string[] }> {
  const store = new MemoryStore();
  const clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
  const engine = createEngine({ store, clock });
  engines.push(engine);
  await engine.start();
  await engine.upsertSegment(orders);
  const runIds: string[] = [];
  const pending = async () => {
    const run = await engine.startRun({ segmentId: 'orders', input: { amount: 21, card: CARD } });
    await engine.waitForRun(run.runId);
    const [request] = await engine.listInteractions({ runId: run.runId, status: ['pending', 'notified'] });
    runIds.push(run.runId);
    return { run, request };
  };

  const a = await pending();
  clock.advance(2 * HOUR);
  await (engine as unknown as { poll(): Promise<void> }).poll();
  await engine.respond(a.request.interactionId, { action: 'approve', actor: { subject: 'alice' } });
  await engine.waitForRun(a.run.runId, { until: ['failed', 'completed'] });

  const b = await pending();
  clock.advance(60_000);
  await engine.respond(b.request.interactionId, {
    action: 'reject',
    actor: { subject: 'bob', roles: ['admin'] },
  });
  await engine.waitForRun(b.run.runId, { until: ['completed', 'failed'] });

  const c = await pending();
  clock.advance(30_000);
  await engine.cancelRun(c.run.runId, { actor: { subject: 'carol' } });
  return { store, clock, runIds };
}

/** The `<event>` elements of one trace, as key -> value maps. */
function xesTrace(xml: string, runId: string): Array<Record<string, string>> {
  const start = xml.indexOf(`<trace><string key="concept:name" value="${runId}"/>`);
  const trace = xml.slice(start, xml.indexOf('</trace>', start));
  return [...trace.matchAll(/<event>(.*?)<\/event>/g)].map(([, body]) =>
    Object.fromEntries(
      [...body.matchAll(/<\w+ key="([^"]+)" value="([^"]*)"\/>/g)].map(([, k, v]) => [k, v]),
    ),
  );
}

const validXes = xmllintAvailable();

describe('XES export', () => {
  test.skipIf(!validXes)('validates against the IEEE 1849 schema with xmllint', async () => {
    const { store } = await ordersStore();
    await store.putSegment({
      tenantId: 'default',
      segmentId: 'orders',
      version: '0.9.0',
      name: 'orders',
      definition: { segment_id: 'orders', steps: [{ step_id: 'answer', step_type: 'llm_agent' }] },
      createdAt: '2026-03-01T00:00:00.000Z',
    });
    const xml = await collect(exportXes(store, { segmentId: 'orders' }));
    expect(xmllintErrors(xml)).toBeUndefined();
    // And a document xmllint must refuse, so the check above means something.
    expect(
      xmllintErrors(xml.replace('<int key="attempt" value="1"/>', '<int key="attempt" value="one"/>')),
    ).toMatch(/not a valid value/);
  });

  test('one trace per run; lifecycle, time, resource and waiting time per step attempt', async () => {
    const { store, runIds } = await ordersStore();
    const xml = await collect(exportXes(store, { segmentId: 'orders' }));
    expect(xml.match(/<trace>/g)).toHaveLength(3);
    expect(xml).toContain('<extension name="Lifecycle" prefix="lifecycle"');
    expect(xml).toContain('<string key="lifecycle:model" value="standard"/>');

    const approved = xesTrace(xml, runIds[0]);
    expect(approved.map((e) => `${e['concept:name']} ${e['lifecycle:transition']}`)).toEqual([
      'price start',
      'price complete',
      'approve start',
      'approve suspend',
      'approve resume',
      'approve complete',
      'charge start',
      'charge ate_abort',
    ]);
    const [priceStart] = approved;
    expect(priceStart).toMatchObject({
      'org:resource': 'llmteam',
      'org:role': 'system',
      'time:timestamp': '2026-03-02T09:00:00.000Z',
      'concept:instance': 'price#1',
      step_type: 'transform',
      attempt: '1',
    });
    const waiting = approved.find(
      (e) => e['concept:name'] === 'approve' && e['lifecycle:transition'] === 'suspend',
    )!;
    expect(waiting['org:resource']).toBe('alice');
    const done = approved.find(
      (e) => e['concept:name'] === 'approve' && e['lifecycle:transition'] === 'complete',
    )!;
    expect(done).toMatchObject({
      'org:resource': 'alice',
      'org:role': 'person',
      waiting_ms: String(2 * HOUR),
      outcome: 'approved',
      sla_breached: 'true',
    });
    expect(approved.at(-1)).toMatchObject({ error_code: 'LLMT_E_EXPRESSION' });

    const rejected = xesTrace(xml, runIds[1]);
    expect(
      rejected.find((e) => e['lifecycle:transition'] === 'complete' && e['concept:name'] === 'approve'),
    ).toMatchObject({ 'org:resource': 'bob', outcome: 'rejected', waiting_ms: '60000' });

    // Cancelling a waiting run aborts the open activity instance, by whoever cancelled.
    const cancelled = xesTrace(xml, runIds[2]);
    expect(cancelled.at(-1)).toMatchObject({
      'concept:name': 'approve',
      'lifecycle:transition': 'pi_abort',
      'org:resource': 'carol',
      waiting_ms: '30000',
    });
    expect(xml).toContain(
      `<string key="concept:name" value="${runIds[2]}"/><string key="segment_version" value="1.0.0"/><string key="status" value="cancelled"/>`,
    );
  });

  test('never exports a sealed value, even one a failing step put into its error message', async () => {
    const { store, runIds } = await ordersStore();
    const raw = JSON.stringify(await store.listEvents('default', runIds[0]));
    expect(raw).toContain(CARD);
    expect(await collect(exportXes(store, { segmentId: 'orders' }))).not.toContain(CARD);
    expect(await collect(exportOcel(store, { segmentId: 'orders' }))).not.toContain(CARD);
  });

  test('agent steps carry their model as resource, and tokens and cost summed per attempt', async () => {
    const store = new MemoryStore();
    await store.putSegment({
      tenantId: 'default',
      segmentId: 'support',
      version: '1.0.0',
      name: 'support',
      definition: {
        segment_id: 'support',
        steps: [
          { step_id: 'answer', step_type: 'llm_agent', config: { provider: 'openai', model: 'gpt-4o' } },
        ],
      },
      createdAt: '2026-03-01T00:00:00.000Z',
    });
    await commitAgentRun(store, 'run-agent', {
      segmentId: 'support',
      start: Date.parse('2026-03-01T10:00:00Z'),
    });
    const xml = await collect(exportXes(store, { segmentId: 'support' }));
    if (validXes) expect(xmllintErrors(xml)).toBeUndefined();
    const events = xesTrace(xml, 'run-agent');
    expect(events.map((e) => e['lifecycle:transition'])).toEqual(['start', 'complete']);
    expect(events[1]).toMatchObject({
      'org:resource': 'openai/gpt-4o',
      'org:role': 'agent',
      input_tokens: '320',
      output_tokens: '85',
      'cost:total': '0.0056',
      duration_ms: '8000',
    });
    expect(xml).not.toContain('secret');
  });

  test('selects runs created within from/to and streams in chunks as they are read', async () => {
    const { store, runIds } = await ordersStore();
    const runs = await Promise.all(runIds.map(async (id) => (await store.getRun('default', id))!));
    const xml = await collect(
      exportXes(store, { segmentId: 'orders', from: runs[1].createdAt, to: runs[1].createdAt }),
    );
    expect(xml.match(/<trace>/g)).toHaveLength(1);
    expect(xml).toContain(runIds[1]);

    const chunks: string[] = [];
    for await (const chunk of exportXes(store, { segmentId: 'orders', chunkSize: 200, pageSize: 2 })) {
      chunks.push(chunk);
    }
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.join('')).toBe(await collect(exportXes(store, { segmentId: 'orders' })));
  });

  test('refuses a bad range with an error naming the field', async () => {
    const store = new MemoryStore();
    await expect(collect(exportXes(store, { segmentId: 'orders', from: 'yesterday' }))).rejects.toMatchObject(
      {
        code: 'LLMT_E_INVALID_ARGUMENT',
        message: expect.stringContaining('from must be an ISO 8601 time'),
      },
    );
    await expect(
      collect(
        exportXes(store, { segmentId: 'orders', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }),
      ),
    ).rejects.toMatchObject({
      code: 'LLMT_E_INVALID_ARGUMENT',
      message: expect.stringContaining('is after to'),
    });
    await expect(collect(exportXes(store, { segmentId: '' }))).rejects.toMatchObject({
      code: 'LLMT_E_INVALID_ARGUMENT',
    });
  });
});

interface OcelLog {
  objectTypes: Array<{ name: string; attributes: Array<{ name: string; type: string }> }>;
  eventTypes: Array<{ name: string; attributes: Array<{ name: string; type: string }> }>;
  objects: Array<{
    id: string;
    type: string;
    attributes: Array<{ name: string; time: string; value: unknown }>;
    relationships: Array<{ objectId: string; qualifier: string }>;
  }>;
  events: Array<{
    id: string;
    type: string;
    time: string;
    attributes: Array<{ name: string; value: unknown }>;
    relationships: Array<{ objectId: string; qualifier: string }>;
  }>;
}

/** Every relationship points at an object, every type and attribute is declared with its type. */
function ocelProblems(log: OcelLog): string[] {
  const problems: string[] = [];
  const ids = new Set(log.objects.map((o) => o.id));
  if (ids.size !== log.objects.length) problems.push('duplicate object ids');
  const eventIds = new Set(log.events.map((e) => e.id));
  if (eventIds.size !== log.events.length) problems.push('duplicate event ids');
  const kinds = (types: OcelLog['eventTypes']) =>
    new Map(types.map((t) => [t.name, new Map(t.attributes.map((a) => [a.name, a.type]))]));
  const eventTypes = kinds(log.eventTypes);
  const objectTypes = kinds(log.objectTypes);
  const fits = (type: string | undefined, value: unknown) =>
    type === 'string'
      ? typeof value === 'string'
      : type === 'integer'
        ? Number.isInteger(value)
        : type === 'float'
          ? typeof value === 'number'
          : type === 'boolean'
            ? typeof value === 'boolean'
            : false;
  for (const e of log.events) {
    const declared = eventTypes.get(e.type);
    if (!declared) problems.push(`event type "${e.type}" undeclared`);
    for (const a of e.attributes)
      if (!fits(declared?.get(a.name), a.value)) problems.push(`${e.type}.${a.name}`);
    for (const r of e.relationships)
      if (!ids.has(r.objectId)) problems.push(`event ${e.id} -> ${r.objectId}`);
  }
  for (const o of log.objects) {
    const declared = objectTypes.get(o.type);
    if (!declared) problems.push(`object type "${o.type}" undeclared`);
    for (const a of o.attributes)
      if (!fits(declared?.get(a.name), a.value)) problems.push(`${o.type}.${a.name}`);
    for (const r of o.relationships)
      if (!ids.has(r.objectId)) problems.push(`object ${o.id} -> ${r.objectId}`);
  }
  return problems;
}

describe('OCEL 2.0 export', () => {
  test('is a valid OCEL 2.0 JSON log whose relationships all resolve', async () => {
    const { store, runIds } = await ordersStore();
    const text = await collect(exportOcel(store, { segmentId: 'orders', chunkSize: 256, pageSize: 2 }));
    const log = JSON.parse(text) as OcelLog;
    const validate = createAjv().compile(JSON.parse(readFileSync(OCEL_SCHEMA, 'utf8')));
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(ocelProblems(log)).toEqual([]);
    expect(log.objectTypes.map((t) => t.name)).toEqual([
      'run',
      'step',
      'interaction',
      'action call',
      'agent',
      'person',
    ]);
    expect(log.events).toHaveLength(
      (await Promise.all(runIds.map((id) => store.listEvents('default', id)))).flat().length + 3, // two resumes before completions, one abort of the cancelled wait
    );

    const byType = (type: string) => log.objects.filter((o) => o.type === type);
    expect(
      byType('run')
        .map((o) => o.id)
        .sort(),
    ).toEqual([...runIds].sort());
    expect(
      byType('person')
        .map((o) => o.id)
        .sort(),
    ).toEqual(['person:alice', 'person:bob', 'person:carol']);
    expect(byType('interaction')).toHaveLength(3);

    const approval = log.objects.find((o) => o.id === `${runIds[0]}/approve`)!;
    expect(approval.relationships).toEqual(
      expect.arrayContaining([
        { objectId: runIds[0], qualifier: 'part of' },
        { objectId: 'person:alice', qualifier: 'answered by' },
      ]),
    );
    expect(approval.attributes.filter((a) => a.name === 'status').map((a) => a.value)).toEqual([
      'running',
      'waiting',
      'running',
      'completed',
    ]);
    const request = byType('interaction').find((o) =>
      o.relationships.some((r) => r.objectId === approval.id),
    )!;
    expect(request.attributes.filter((a) => a.name === 'status').map((a) => a.value)).toEqual(
      expect.arrayContaining(['pending', 'completed']),
    );
    const run = log.objects.find((o) => o.id === runIds[0])!;
    expect(
      run.attributes
        .filter((a) => a.name === 'status')
        .map((a) => a.value)
        .at(-1),
    ).toBe('failed');

    const answered = log.events.find(
      (e) =>
        e.type === 'approve interaction responded' && e.relationships.some((r) => r.objectId === runIds[0]),
    )!;
    expect(answered.relationships).toEqual(
      expect.arrayContaining([
        { objectId: runIds[0], qualifier: 'run' },
        { objectId: `${runIds[0]}/approve`, qualifier: 'step' },
        { objectId: request.id, qualifier: 'interaction' },
        { objectId: 'person:alice', qualifier: 'actor' },
      ]),
    );
  });

  test('agents and their tool calls become objects', async () => {
    const store = new MemoryStore();
    await store.putSegment({
      tenantId: 'default',
      segmentId: 'support',
      version: '1.0.0',
      name: 'support',
      definition: {
        segment_id: 'support',
        steps: [
          { step_id: 'answer', step_type: 'llm_agent', config: { provider: 'openai', model: 'gpt-4o' } },
        ],
      },
      createdAt: '2026-03-01T00:00:00.000Z',
    });
    const start = Date.parse('2026-03-01T10:00:00Z');
    await commitAgentRun(store, 'run-1', { segmentId: 'support', start });
    await commitAgentRun(store, 'run-2', { segmentId: 'support', start: start + HOUR });
    const log = JSON.parse(await collect(exportOcel(store, { segmentId: 'support' }))) as OcelLog;
    expect(ocelProblems(log)).toEqual([]);
    expect(log.objects.filter((o) => o.type === 'agent')).toEqual([
      {
        id: 'agent:openai/gpt-4o',
        type: 'agent',
        attributes: [expect.objectContaining({ value: 'openai/gpt-4o' })],
        relationships: [],
      },
    ]);
    const call = log.objects.find((o) => o.id === 'run-1/answer/c1')!;
    expect(call).toMatchObject({
      type: 'action call',
      relationships: [{ objectId: 'run-1/answer', qualifier: 'made by' }],
    });
    expect(call.attributes).toContainEqual(
      expect.objectContaining({ name: 'action', value: 'check_inventory' }),
    );
    const model = log.eventTypes.find((t) => t.name === 'answer model completed')!;
    expect(model.attributes).toEqual(
      expect.arrayContaining([
        { name: 'input_tokens', type: 'integer' },
        { name: 'cost', type: 'float' },
      ]),
    );
  });
});

describe('escapeXml', () => {
  test('escapes markup and replaces characters XML 1.0 cannot hold', async () => {
    const { escapeXml } = await import('../index.js');
    expect(escapeXml(`a&b<c>"d'e\u0001f`)).toBe('a&amp;b&lt;c&gt;&quot;d&apos;e\ufffdf');
    expect(escapeXml('plain')).toBe('plain');
  });
});
