import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built to static files the gateway serves at `/`; no dev server is needed to use it.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  resolve: { conditions: ['llmteam-source'] },
  build: {
    outDir: fileURLToPath(new URL('../dist/app', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      // React Flow marks itself "use client" for server-component bundlers; it means nothing here.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
