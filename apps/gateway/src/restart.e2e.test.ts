import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlmteamClient, type WorktrailEvent } from '@llmteam/client';
import { freePort, type NodeProcess } from '@llmteam/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startMain } from './test-support.js';

const ADMIN_KEY = 'llmt_restart-test-admin-key-0123456789';

/** `main.ts` in `dir` on `port` with the test's admin key; a short lease, so a new process takes over the killed one's runs. */
const startGateway = (dir: string, port: number) =>
  startMain(dir, port, { LLMTEAM_BOOTSTRAP_API_KEY: ADMIN_KEY, LLMTEAM_LEASE_MS: '2000' });

describe('restart (SIGKILL) while a run waits for a person', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-restart-'));
  let child: NodeProcess | undefined;
  afterAll(() => {
    void child?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the run, and a subscriber that reconnects with afterSeq gets exactly the missed events', async () => {
    writeFileSync(
      join(dir, 'llmteam.config.json'),
      JSON.stringify({ store: ['@llmteam/store-sqlite', { path: './data/llmteam.sqlite' }] }),
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    child = await startGateway(dir, port);

    const admin = createLlmteamClient({ url, apiKey: ADMIN_KEY, webSocketImpl: WebSocket });
    const key = await admin.createApiKey({
      tenantId: 'default',
      roles: ['OPERATOR', 'APPROVER'],
      subject: 'fiona',
      groups: ['finance'],
    });
    const client = createLlmteamClient({ url, apiKey: key.secret, webSocketImpl: WebSocket });
    const run = await client.startRun('order_flow', {
      customer: 'big',
      items: [{ sku: 'gadget', qty: 30, unit_price: 50 }],
    });

    const seen: WorktrailEvent[] = [];
    let reconnects = 0;
    let requested!: () => void;
    const waiting = new Promise<void>((resolve) => {
      requested = resolve;
    });
    const watching = (async () => {
      for await (const event of client.watchRun(run.id, {
        retry: { initialDelayMs: 100, maxDelayMs: 500, attempts: 200 },
        onReconnect: () => reconnects++,
      })) {
        seen.push(event);
        if (event.type === 'interaction.requested') requested();
      }
    })();
    await waiting;
    const beforeCrash = seen.length;

    await child.stop('SIGKILL');
    child = await startGateway(dir, port);

    const after = await client.run(run.id);
    expect(after?.status).toBe('WAITING_HUMAN');
    const [request] = after!.waitingOn.interactions;
    await client.approve(request.id, 'after restart');
    await watching;

    expect(reconnects).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(beforeCrash);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)?.type).toBe('run.completed');
    const stored = await client.request<{ run: { events: Array<{ seq: number; type: string }> } }>(
      'query($id: ID!) { run(id: $id) { events { seq type } } }',
      { id: run.id },
    );
    expect(seen.map((e) => [e.seq, e.type])).toEqual(stored.run.events.map((e) => [e.seq, e.type]));
    await Promise.all([client.close(), admin.close()]);
  }, 90_000);
});
