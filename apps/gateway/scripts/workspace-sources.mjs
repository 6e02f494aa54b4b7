// Runs the gateway from the repository without a build:
//   node --import ./apps/gateway/scripts/workspace-sources.mjs --import tsx apps/gateway/src/main.ts
// `@llmteam/*` packages of this workspace resolve to their TypeScript sources, and tsx uses
// the workspace tsconfig (legacy decorators for type-graphql) whatever the working directory.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));
register('./workspace-sources-hooks.mjs', import.meta.url);
