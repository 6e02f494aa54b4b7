import { expect, test, vi } from 'vitest';
import { startSilentServer } from './silent-server.js';

test('startSilentServer accepts connections and never answers', async () => {
  const silent = await startSilentServer();
  try {
    const controller = new AbortController();
    let settled = false;
    const request = fetch(silent.url, { signal: controller.signal }).finally(() => {
      settled = true;
    });
    request.catch(() => {});
    // Wait for the connection itself, not a fixed time: a loaded machine may take a while.
    await vi.waitFor(() => expect(silent.connections()).toBe(1), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    controller.abort();
    await expect(request).rejects.toThrow();
  } finally {
    await silent.close();
  }
});
