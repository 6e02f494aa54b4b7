#!/usr/bin/env node
/**
 * `pnpm start`: serves the gateway on the configured store (SQLite under `./.llmteam/` by
 * default) with the example segments registered for tenant `default`, and prints the URL
 * and the bootstrap admin key.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runUntilSignalled, serve } from './serve.js';

const examples =
  process.env.LLMTEAM_SEGMENTS_DIR ?? fileURLToPath(new URL('../../../examples/segments', import.meta.url));

try {
  const served = await serve({
    port: process.env.PORT ? Number(process.env.PORT) : 4000,
    ...(process.env.LLMTEAM_CONFIG ? { config: process.env.LLMTEAM_CONFIG } : {}),
    ...(process.env.LLMTEAM_LEASE_MS ? { leaseMs: Number(process.env.LLMTEAM_LEASE_MS) } : {}),
    ...(existsSync(examples) ? { segmentsDir: examples } : {}),
  });
  runUntilSignalled(served);
} catch (error) {
  process.stderr.write(`llmteam: ${(error as Error).message}\n`);
  process.exit(1);
}
