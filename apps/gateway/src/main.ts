#!/usr/bin/env node
/**
 * `pnpm start`: serves the gateway on the configured store (SQLite under `./.llmteam/` by
 * default) with the example segments registered for tenant `default`, and prints the URL
 * and the bootstrap admin key.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bannerLines, serve } from './serve.js';

const examples =
  process.env.LLMTEAM_SEGMENTS_DIR ?? fileURLToPath(new URL('../../../examples/segments', import.meta.url));

try {
  const served = await serve({
    port: process.env.PORT ? Number(process.env.PORT) : 4000,
    ...(process.env.LLMTEAM_CONFIG ? { config: process.env.LLMTEAM_CONFIG } : {}),
    ...(process.env.LLMTEAM_LEASE_MS ? { leaseMs: Number(process.env.LLMTEAM_LEASE_MS) } : {}),
    ...(existsSync(examples) ? { segmentsDir: examples } : {}),
  });
  process.stdout.write(`${bannerLines(served).join('\n')}\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    served.close(`Server shutting down (${signal})`).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`llmteam: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  process.stderr.write(`llmteam: ${(error as Error).message}\n`);
  process.exit(1);
}
