import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@llmteam/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { MAIN, WORKSPACE_NODE_ARGS } from './test-support.js';

/**
 * An address of this machine other than 127.0.0.1: a network interface's, or else 127.0.0.2
 * (Linux answers all of 127/8 on loopback, and a server bound to 127.0.0.1 refuses it).
 */
const other =
  Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address ??
  (process.platform === 'linux' ? '127.0.0.2' : undefined);

/** Starts `main.ts` (what `pnpm start` runs) with `args`; resolves with its banner. */
function startMain(dir: string, args: string[]): { child: ChildProcess; banner: Promise<string> } {
  const child = spawn(process.execPath, [...WORKSPACE_NODE_ARGS, MAIN, ...args], {
    cwd: dir,
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'test', LLMTEAM_SEGMENTS_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const banner = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on .*\n/.test(output)) resolve(output);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}:\n${output}`)));
  });
  return { child, banner };
}

async function status(url: string): Promise<number | string> {
  try {
    return (await fetch(url)).status;
  } catch (error) {
    return ((error as Error).cause as { code?: string } | undefined)?.code ?? String(error);
  }
}

describe('pnpm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-start-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 only by default, and says so', async () => {
    const port = await freePort();
    const { child, banner } = startMain(dir, ['--port', String(port)]);
    children.push(child);
    const text = await banner;
    expect(text).toContain(`llmteam gateway: http://127.0.0.1:${port}/graphql`);
    expect(text).toContain(`listening on 127.0.0.1:${port} (this machine only`);
    expect(await status(`http://127.0.0.1:${port}/healthz`)).toBe(200);
    if (other) expect(await status(`http://${other}:${port}/healthz`)).toBe('ECONNREFUSED');
    child.kill('SIGTERM');
  }, 60_000);

  it('--host 0.0.0.0 opens it to the network on purpose', async () => {
    const port = await freePort();
    const { child, banner } = startMain(dir, ['--host', '0.0.0.0', '--port', String(port)]);
    children.push(child);
    const text = await banner;
    expect(text).toContain(`listening on 0.0.0.0:${port} (reachable from the network)`);
    expect(await status(`http://127.0.0.1:${port}/healthz`)).toBe(200);
    if (other) expect(await status(`http://${other}:${port}/healthz`)).toBe(200);
    child.kill('SIGTERM');
  }, 60_000);

  it('refuses a port that is not a number, naming the flag', async () => {
    const { child, banner } = startMain(dir, ['--port', 'eighty']);
    children.push(child);
    await expect(banner).rejects.toThrow(/--port must be a TCP port number, got "eighty"/);
  }, 60_000);
});
