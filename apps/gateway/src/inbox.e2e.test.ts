import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from './test-support.js';

const human = (id: string, config: Record<string, unknown>) => ({
  step_id: id,
  step_type: 'human_task',
  config,
});

describe('the inbox a page at a time, chat answers and runs waiting on someone', () => {
  let t: TestGateway;
  let operator: string;
  let fiona: string;
  let olaf: string;
  beforeAll(async () => {
    t = await startTestGateway();
    operator = await t.key('default', ['operator'], 'ops');
    fiona = await t.key('default', ['approver'], 'fiona', ['finance']);
    olaf = await t.key('default', ['approver'], 'olaf', ['ops']);
    await t.engine.upsertSegment({
      segment_id: 'wide',
      version: '1',
      steps: [1, 5, 3, 4, 2].map((h) =>
        human(`a${h}`, {
          task_type: 'approval',
          title: `due in ${h} h`,
          assignee_ref: h === 4 ? 'group:ops' : 'group:finance',
          timeout: `PT${h}H`,
        }),
      ),
      edges: [],
    });
    await t.engine.upsertSegment({
      segment_id: 'talk',
      version: '1',
      steps: [human('ask', { task_type: 'chat', title: 'Questions about the order', assignee_ref: 'fiona' })],
      edges: [],
    });
  });
  afterAll(async () => t?.close());

  it('pages open requests in SLA order with a cursor, and counts them', async () => {
    for (let r = 0; r < 2; r++) await t.engine.startRun({ segmentId: 'wide', input: { r } });
    await eventually(
      async () => ((await t.engine.listInteractions({})).length === 10 ? true : undefined),
      'ten open requests',
    );
    const page = async (after?: string, assignee?: string) => {
      const res = await t.gql(
        fiona,
        'query($after: String, $assignee: String) { inbox(first: 3, after: $after, assignee: $assignee) { items { title } endCursor hasMore } }',
        { after, assignee },
      );
      expect(res.body.errors).toBeUndefined();
      return res.body.data.inbox as { items: Array<{ title: string }>; endCursor: string; hasMore: boolean };
    };
    const titles: string[] = [];
    let hasMore = true;
    for (let after: string | undefined, pages = 0; hasMore; pages++) {
      const next = await page(after);
      titles.push(...next.items.map((i) => i.title));
      ({ hasMore } = next);
      after = next.endCursor;
      expect(pages).toBeLessThan(4);
    }
    expect(titles).toEqual(['1', '1', '2', '2', '3', '3', '4', '4', '5', '5'].map((h) => `due in ${h} h`));
    const mine = await page(undefined, 'fiona');
    expect(mine.items.map((i) => i.title)).toEqual(['due in 1 h', 'due in 1 h', 'due in 2 h']);
    const count = await t.gql(
      fiona,
      '{ all: openInteractionCount ops: openInteractionCount(assignee: "group:ops") }',
    );
    expect(count.body.data).toEqual({ all: 10, ops: 2 });
  });

  it('refuses a page size out of range and a forged cursor, naming the argument', async () => {
    const big = await t.gql(fiona, '{ inbox(first: 5000) { hasMore } }');
    expect(big.body.errors[0].message).toMatch(/first must be an integer from 1 to 500/);
    const forged = await t.gql(fiona, '{ inbox(after: "bm9wZQ") { hasMore } }');
    expect(forged.body.errors[0].message).toMatch(/after is not a cursor returned by inbox\(\)/);
  });

  it('lists the runs waiting on a group or a user, with status and segment filters and paging', async () => {
    const runs = async (args: string) => {
      const res = await t.gql(
        operator,
        `{ runs(${args}) { edges { cursor node { id segmentId status } } pageInfo { hasNextPage endCursor } } }`,
      );
      expect(res.body.errors).toBeUndefined();
      return res.body.data.runs as {
        edges: Array<{ node: { id: string; segmentId: string; status: string } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    };
    const chat = await t.engine.startRun({ segmentId: 'talk', input: {} });
    await eventually(
      async () => ((await t.engine.listInteractions({ runId: chat.runId })).length ? true : undefined),
      'the chat request',
    );
    const ops = await runs('waitingOn: "group:ops"');
    expect(ops.edges.map((e) => e.node.segmentId)).toEqual(['wide', 'wide']);
    const first = await runs('waitingOn: "group:finance", first: 1');
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await runs(`waitingOn: "group:finance", first: 1, after: "${first.pageInfo.endCursor}"`);
    expect(second.edges).toHaveLength(1);
    expect(second.edges[0]?.node.id).not.toBe(first.edges[0]?.node.id);
    expect((await runs('waitingOn: "fiona"')).edges.map((e) => e.node.id)).toEqual([chat.runId]);
    expect((await runs('waitingOn: "fiona", segmentId: "wide"')).edges).toEqual([]);
    expect((await runs('waitingOn: "nobody"')).edges).toEqual([]);
  });

  it('answers a chat with messages until it is closed; the step gets the conversation', async () => {
    const run = await t.engine.startRun({ segmentId: 'talk', input: {} });
    const id = await eventually(
      async () => (await t.engine.listInteractions({ runId: run.runId }))[0]?.interactionId,
      'the chat request',
    );
    const send = (secret: string, text: string) =>
      t.gql(
        secret,
        'mutation($id: ID!, $text: String!) { sendMessage(requestId: $id, text: $text) { status responses { action subject value } } }',
        { id, text },
      );
    const first = await send(fiona, 'Which warehouse ships it?');
    expect(first.body.data.sendMessage).toEqual({
      status: 'IN_PROGRESS',
      responses: [{ action: 'message', subject: 'fiona', value: 'Which warehouse ships it?' }],
    });
    expect((await send(fiona, '   ')).body.errors[0].message).toMatch(/text is empty/);
    expect((await send(olaf, 'me too')).body.errors[0].extensions.llmteamCode).toBe('LLMT_E_NOT_ASSIGNEE');
    await send(fiona, 'Hamburg, please.');
    const closed = await t.gql(
      fiona,
      'mutation($id: ID!) { closeChat(requestId: $id, comment: "settled") { status outcome { action comment } } }',
      { id },
    );
    expect(closed.body.data.closeChat).toEqual({
      status: 'COMPLETED',
      outcome: { action: 'close', comment: 'settled' },
    });
    const again = await send(fiona, 'one more thing');
    expect(again.body.errors[0].message).toMatch(/already completed/);
    const done = await t.engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect((done.outputs as Record<string, { messages: unknown }>).ask.messages).toMatchObject([
      { by: 'fiona', text: 'Which warehouse ships it?' },
      { by: 'fiona', text: 'Hamburg, please.' },
    ]);
  });
});
