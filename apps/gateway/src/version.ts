import { createRequire } from 'node:module';

// Read from package.json so `health` reports what is installed; works from src and dist alike.
const manifest = createRequire(import.meta.url)('../package.json') as { version: string };

/** Version of `@llmteam/gateway`. */
export const GATEWAY_VERSION: string = manifest.version;
