import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { type Served, serve } from './serve.js';

const SEGMENT = {
  segment_id: 'hello',
  version: '1.0.0',
  steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
};

describe('serve (what pnpm start runs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-serve-'));
  const segments = join(dir, 'segments');
  mkdirSync(segments);
  writeFileSync(join(segments, 'hello.json'), JSON.stringify(SEGMENT));
  const lines: string[] = [];
  const logger = createLogger({
    level: 'warn',
    destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream,
  });
  const start = () => serve({ cwd: dir, port: 0, logger, segmentsDir: segments, bootstrapApiKey: undefined });
  const saved = process.env.LLMTEAM_BOOTSTRAP_API_KEY;
  delete process.env.LLMTEAM_BOOTSTRAP_API_KEY;
  afterAll(() => {
    if (saved !== undefined) process.env.LLMTEAM_BOOTSTRAP_API_KEY = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1, keeps one development admin key across starts, and survives a segment changed without a version bump', async () => {
    let served: Served = await start();
    expect((served.gateway.httpServer.address() as { address: string }).address).toBe('127.0.0.1');
    const first = served.bootstrap;
    expect(first.generated).toBe(true);
    expect(readFileSync(join(dir, '.llmteam', 'admin-key'), 'utf8').trim()).toBe(first.secret);
    expect(served.segments).toEqual(['hello']);
    await served.close();

    writeFileSync(join(segments, 'hello.json'), JSON.stringify({ ...SEGMENT, name: 'changed' }));
    served = await start();
    expect(served.bootstrap).toMatchObject({ secret: first.secret, generated: false });
    expect(served.segments).toEqual([]);
    expect(lines.join('\n')).toMatch(/bump \\"version\\" in .*hello\.json/);
    const res = await fetch(served.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${first.secret}` },
      body: JSON.stringify({ query: '{ segments { id } apiKeys { id revokedAt } }' }),
    });
    const body = (await res.json()) as { data: { segments: unknown[]; apiKeys: Array<{ id: string }> } };
    expect(body.data.segments).toEqual([{ id: 'hello' }]);
    expect(body.data.apiKeys).toHaveLength(1);

    // A revoked development key is replaced by a new one on the next start.
    await fetch(served.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${first.secret}` },
      body: JSON.stringify({ query: `mutation { revokeApiKey(id: "${body.data.apiKeys[0]!.id}") { id } }` }),
    });
    await served.close();
    served = await start();
    expect(served.bootstrap.generated).toBe(true);
    expect(served.bootstrap.secret).not.toBe(first.secret);
    await served.close();
  }, 60_000);
});
