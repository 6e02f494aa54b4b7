import { createConnection } from 'node:net';

/** The local test broker; tests skip when it is unreachable (and fail on CI). */
export const TEST_AMQP_URL = process.env.LLMTEAM_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export async function amqpReachable(): Promise<boolean> {
  const { hostname, port } = new URL(TEST_AMQP_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 5672) });
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
    if (process.env.CI === 'true') throw new Error(`RabbitMQ at ${TEST_AMQP_URL} is unreachable`);
    console.warn(`skipping RabbitMQ tests: ${TEST_AMQP_URL} is unreachable`);
  }
  return ok;
}
