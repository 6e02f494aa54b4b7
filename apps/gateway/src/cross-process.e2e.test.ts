import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '@llmteam/store-sqlite';
import { createClient } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, eventually, ORDER_FLOW, startTestGateway, WORKSPACE_NODE_ARGS } from './test-support.js';

const BIG_ORDER = { customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] };

interface Seen {
  seq: number;
  type: string;
  at: number;
}

describe('a gateway and the command line on one SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-cross-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("delivers an answer given with `llmteam approve` in another process to the gateway's runEvents subscribers, in order, once", async () => {
    const path = join(dir, '.llmteam', 'llmteam.sqlite');
    const config = join(dir, 'llmteam.config.json');
    writeFileSync(config, JSON.stringify({ store: ['@llmteam/store-sqlite', { path }] }));
    const t = await startTestGateway({ store: createSqliteStore({ path }) });
    try {
      const operator = await t.key('default', ['operator', 'approver'], 'fiona', ['finance']);
      await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', {
        d: ORDER_FLOW,
      });
      const started = await t.gql(
        operator,
        'mutation($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }',
        { i: BIG_ORDER },
      );
      const runId = started.body.data.startRun.id as string;
      const waiting = await eventually(async () => {
        const res = await t.gql(
          operator,
          'query($id: ID!) { run(id: $id) { status events { seq } waitingOn { interactions { id } } } }',
          { id: runId },
        );
        const run = res.body.data.run;
        return run.status === 'WAITING_HUMAN' ? run : undefined;
      }, 'the run to wait for approval');
      const afterSeq = Math.max(...waiting.events.map((e: { seq: number }) => e.seq));
      const requestId = waiting.waitingOn.interactions[0].id as string;

      const seen: Seen[] = [];
      const ws = createClient({
        url: t.gateway.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${operator}` },
        retryAttempts: 0,
      });
      const before = t.listeners();
      const completed = new Promise<void>((resolve, reject) => {
        ws.subscribe<{ runEvents: { seq: number; type: string } }>(
          {
            query:
              'subscription($id: ID!, $after: Int) { runEvents(runId: $id, afterSeq: $after) { seq type } }',
            variables: { id: runId, after: afterSeq },
          },
          {
            next: (v) => {
              if (!v.data) return reject(new Error(JSON.stringify(v.errors)));
              seen.push({ ...v.data.runEvents, at: Date.now() });
              if (v.data.runEvents.type === 'run.completed') resolve();
            },
            error: reject,
            complete: () => {},
          },
        );
      });
      await t.listening(before);

      const cli = spawn(
        process.execPath,
        [...WORKSPACE_NODE_ARGS, CLI, 'approve', requestId, '-m', 'ok', '--config', config],
        { cwd: dir, env: { ...process.env, LOG_LEVEL: 'fatal' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      cli.stdout.on('data', (d: Buffer) => (output += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const [code] = await once(cli, 'exit');
      const exitedAt = Date.now();
      expect(code, output).toBe(0);
      expect(output).toContain(`${requestId} completed`);
      expect(output).toMatch(new RegExp(`run ${runId} completed`));
      await completed;
      // Every event the other process committed, once each and in order, with no gap.
      const seqs = seen.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => afterSeq + 1 + i));
      expect(seen.map((e) => e.type)).toContain('interaction.responded');
      const stored = await t.store.listEvents('default', runId, { afterSeq });
      expect(seqs).toEqual(stored.map((e) => e.seq));
      // The store looks for other processes' commits every 200 ms: well within a second,
      // bounded here generously so that a loaded machine does not fail a correct store.
      const lateBy = seen.at(-1)!.at - exitedAt;
      expect(lateBy).toBeLessThan(5000);
      console.info(`cross-process delivery: last event ${lateBy} ms after the command exited`);
      await ws.dispose();
    } finally {
      await t.close();
    }
  }, 60_000);
});
