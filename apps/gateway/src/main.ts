#!/usr/bin/env node
/**
 * `pnpm start`: serves the gateway on the configured store (SQLite under `./.llmteam/` by
 * default) with the example segments registered for tenant `default`, and prints the URL
 * and the bootstrap admin key. It listens on 127.0.0.1 only; `pnpm start --host 0.0.0.0`
 * opens it to the network on purpose.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runUntilSignalled, serve } from './serve.js';

const examples =
  process.env.LLMTEAM_SEGMENTS_DIR ?? fileURLToPath(new URL('../../../examples/segments', import.meta.url));

try {
  const { values: args } = parseArgs({
    options: { host: { type: 'string' }, port: { type: 'string' } },
    allowPositionals: false,
  });
  const port = args.port ?? process.env.PORT;
  if (port !== undefined && !/^\d+$/.test(port))
    throw new Error(`--port must be a TCP port number, got "${port}"`);
  const served = await serve({
    port: port ? Number(port) : 4000,
    ...(args.host ? { host: args.host } : {}),
    ...(process.env.LLMTEAM_CONFIG ? { config: process.env.LLMTEAM_CONFIG } : {}),
    ...(process.env.LLMTEAM_LEASE_MS ? { leaseMs: Number(process.env.LLMTEAM_LEASE_MS) } : {}),
    ...(existsSync(examples) ? { segmentsDir: examples } : {}),
  });
  runUntilSignalled(served);
} catch (error) {
  process.stderr.write(`llmteam: ${(error as Error).message}\n`);
  process.exit(1);
}
