import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLlmteamClient, type WorktrailEvent } from '@llmteam/client';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const SOURCES = fileURLToPath(new URL('../scripts/workspace-sources.mjs', import.meta.url));
// Absolute, because the child runs in a temporary directory.
const TSX = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs'),
).href;
const ADMIN_KEY = 'llmt_restart-test-admin-key-0123456789';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `main.ts` (what `pnpm start` runs) as a child process on a SQLite file. */
async function startMain(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', SOURCES, '--import', TSX, MAIN], {
    cwd: dir,
    // A short lease: the killed process held the run's lease, and the new one takes it over when it expires.
    env: {
      ...process.env,
      PORT: String(port),
      LLMTEAM_BOOTSTRAP_API_KEY: ADMIN_KEY,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      LLMTEAM_LEASE_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`main.ts did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('llmteam gateway: http://')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}:\n${output}`)));
  });
  return child;
}

describe('restart (SIGKILL) while a run waits for a person', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-restart-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the run, and a subscriber that reconnects with afterSeq gets exactly the missed events', async () => {
    writeFileSync(
      join(dir, 'llmteam.config.json'),
      JSON.stringify({ store: ['@llmteam/store-sqlite', { path: './data/llmteam.sqlite' }] }),
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    child = await startMain(dir, port);

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

    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    child = await startMain(dir, port);

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
