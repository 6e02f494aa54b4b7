import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their sources, so tests need no build step.
const root = import.meta.dirname;
const alias: Record<string, string> = {};
for (const group of ['packages', 'plugins', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const manifest = join(dir, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
    alias[pkg.name] = resolve(dir, name, 'src/index.ts');
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
