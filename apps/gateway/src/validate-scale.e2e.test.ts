import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { startTestGateway, type TestGateway } from './test-support.js';

const STEPS = 9_000;

/** A linear chain of `STEPS` steps, small enough per step to fit the 1 MB body limit. */
function longChain(closeLoop = false) {
  const steps = Array.from({ length: STEPS }, (_, i) => ({ step_id: `s${i}`, step_type: 'parallel_split' }));
  const edges = Array.from({ length: STEPS - 1 }, (_, i) => ({
    source_step: `s${i}`,
    target_step: `s${i + 1}`,
  }));
  if (closeLoop) edges.push({ source_step: `s${STEPS - 1}`, target_step: 's1' });
  return { segment_id: 'long_chain', version: closeLoop ? '2' : '1', steps, edges };
}

describe(`a ${STEPS}-step segment`, () => {
  let gw: TestGateway;
  let key: string;
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-long-'));
  beforeAll(async () => {
    gw = await startTestGateway();
    key = await gw.key('default', ['operator']);
  });
  afterAll(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const upsert = (definition: unknown) =>
    gw.gql(key, 'mutation ($d: JSON!) { upsertSegment(definition: $d) { id version } }', { d: definition });

  it('is stored through upsertSegment, and a cycle closing it is refused with its path', async () => {
    const body = JSON.stringify(longChain());
    expect(body.length).toBeLessThan(1_000_000);
    const ok = await upsert(longChain());
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.upsertSegment).toEqual({ id: 'long_chain', version: '1' });
    const bad = await upsert(longChain(true));
    expect(bad.body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      llmteamCode: 'LLMT_E_SEGMENT_INVALID',
      problems: [{ path: `$.edges[${STEPS - 1}]`, code: 'cycle' }],
    });
  });

  it('validates with `llmteam validate`, and the cycle is listed', async () => {
    writeFileSync(join(dir, 'long.json'), JSON.stringify(longChain()));
    writeFileSync(join(dir, 'loop.json'), JSON.stringify(longChain(true)));
    const config = join(dir, 'llmteam.config.json');
    writeFileSync(
      config,
      JSON.stringify({ store: ['@llmteam/store-sqlite', { path: join(dir, 'db.sqlite') }] }),
    );
    const run = async (file: string) => {
      let stdout = '';
      let stderr = '';
      const write = { out: process.stdout.write, err: process.stderr.write };
      process.stdout.write = ((chunk: string) => {
        stdout += chunk;
        return true;
      }) as typeof process.stdout.write;
      process.stderr.write = ((chunk: string) => {
        stderr += chunk;
        return true;
      }) as typeof process.stderr.write;
      try {
        const code = await main(['node', 'llmteam', 'validate', join(dir, file), '--config', config]);
        return { code, stdout, stderr };
      } finally {
        process.stdout.write = write.out;
        process.stderr.write = write.err;
        process.exitCode = undefined;
      }
    };
    const ok = await run('long.json');
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toContain('valid');
    const loop = await run('loop.json');
    expect(loop.code).toBe(1);
    expect(loop.stderr).toContain(`$.edges[${STEPS - 1}]: cycle s1 -> s2 -> `);
    expect(loop.stderr.split('\n').length).toBeLessThan(5);
    expect(loop.stderr).not.toContain('RangeError');
  });
});
