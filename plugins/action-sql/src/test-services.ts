import { createConnection } from 'node:net';

/** Local test databases; tests skip when one is unreachable (and fail on CI). */
export const TEST_POSTGRES_URL =
  process.env.LLMTEAM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_MYSQL_URL = process.env.LLMTEAM_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Whether `url`'s host and port accept TCP connections; on CI a refusal is an error. */
export async function reachable(what: string, url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
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
    if (process.env.CI === 'true') throw new Error(`${what} at ${url} is unreachable`);
    console.warn(`skipping ${what} tests: ${url} is unreachable`);
  }
  return ok;
}
