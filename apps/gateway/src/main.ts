#!/usr/bin/env node
/**
 * `pnpm start`: serves the gateway on the configured store (SQLite under `./.llmteam/` by
 * default) with the example segments registered for tenant `default`, and prints the URL
 * and the bootstrap admin key. It listens on 127.0.0.1 only; `pnpm start --host 0.0.0.0`
 * opens it to the network on purpose. With no config of its own (`LLMTEAM_CONFIG` or a
 * `llmteam.config.*` in the working directory), it loads the examples' config, which
 * brings the agents' model provider and tools (`examples/llmteam.config.ts`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CONFIG_FILE_NAMES } from './config/load-config.js';
import { runUntilSignalled, serve } from './serve.js';

const examples =
  process.env.LLMTEAM_SEGMENTS_DIR ?? fileURLToPath(new URL('../../../examples/segments', import.meta.url));
const exampleConfig = fileURLToPath(new URL('../../../examples/llmteam.config.ts', import.meta.url));
const config =
  process.env.LLMTEAM_CONFIG ??
  (!process.env.LLMTEAM_SEGMENTS_DIR &&
  existsSync(exampleConfig) &&
  !CONFIG_FILE_NAMES.some((name) => existsSync(join(process.cwd(), name)))
    ? exampleConfig
    : undefined);

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
    ...(config ? { config } : {}),
    // The examples' config keeps its data where a start without config would: `./.llmteam/`.
    ...(config === exampleConfig ? { dataDir: process.cwd() } : {}),
    ...(process.env.LLMTEAM_LEASE_MS ? { leaseMs: Number(process.env.LLMTEAM_LEASE_MS) } : {}),
    ...(existsSync(examples) ? { segmentsDir: examples } : {}),
  });
  runUntilSignalled(served);
} catch (error) {
  process.stderr.write(`llmteam: ${(error as Error).message}\n`);
  process.exit(1);
}
