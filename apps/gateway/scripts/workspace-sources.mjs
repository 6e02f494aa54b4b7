// Resolves `@llmteam/*` packages of this workspace to their TypeScript sources, so the
// gateway runs from the repository without a build: node --import tsx --import <this file> ...
import { register } from 'node:module';

register('./workspace-sources-hooks.mjs', import.meta.url);
