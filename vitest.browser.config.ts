import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The console's browser tests (Debian's Chromium via playwright-core), one file at a time,
// after the other tests (`pnpm test:browser`), so Chromium competes with nothing for the CPU.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['apps/**/src/**/*.browser.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 60_000,
  },
});
