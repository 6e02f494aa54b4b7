import { createConnection } from 'node:net';

/** The local NATS server (with JetStream); tests skip when it is unreachable (and fail on CI). */
export const TEST_NATS_URL = process.env.LLMTEAM_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export async function natsReachable(): Promise<boolean> {
  const { hostname, port } = new URL(TEST_NATS_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 4222) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (!ok) {
    if (process.env.CI === 'true') throw new Error(`NATS at ${TEST_NATS_URL} is unreachable`);
    console.warn(`skipping NATS tests: ${TEST_NATS_URL} is unreachable`);
  }
  return ok;
}
