import { expect, test } from 'vitest';
import { startSilentServer } from './silent-server.js';

test('startSilentServer accepts connections and never answers', async () => {
  const silent = await startSilentServer();
  try {
    const started = Date.now();
    await expect(fetch(silent.url, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(silent.connections()).toBe(1);
  } finally {
    await silent.close();
  }
});
