import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their sources, so tests need no build step.
const root = import.meta.dirname;
// Each entry point (`@llmteam/core`, `@llmteam/core/types`, ...) maps to the source its
// `llmteam-source` export condition names; matched exactly, so a subpath never falls into
// the main entry's alias.
const alias: Array<{ find: RegExp; replacement: string }> = [];
for (const group of ['packages', 'plugins', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const manifest = join(dir, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name: string;
      exports?: Record<string, unknown>;
    };
    const entries: Array<[string, string]> = [['.', 'src/index.ts']];
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      const source = (target as { 'llmteam-source'?: string } | null)?.['llmteam-source'];
      if (subpath !== '.' && typeof source === 'string') entries.push([subpath, source]);
    }
    for (const [subpath, source] of entries) {
      const id = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
      alias.push({
        find: new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
        replacement: resolve(dir, name, source),
      });
    }
  }
}

export default defineConfig({
  plugins: [
    swc.vite({ jsc: { target: 'es2022', transform: { legacyDecorator: true, decoratorMetadata: true } } }),
  ],
  resolve: { alias },
  test: {
    include: ['{packages,plugins,apps,examples}/**/src/**/*.test.ts', 'examples/**/*.test.ts'],
    // Browser tests run afterwards on their own (vitest.browser.config.ts): Chromium must not
    // compete for the CPU with the timing-sensitive tests.
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.browser.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
