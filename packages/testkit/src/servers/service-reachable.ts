import { createConnection } from 'node:net';

/**
 * Whether `url`'s host and port accept TCP connections, for tests of plugins that use a real
 * local service (a broker, a database). Unreachable: a one-line warning and `false`, so the
 * tests skip; under `CI=true` it throws instead, since a missing service there is a failure.
 *
 * @param what - the service's name in the message, e.g. `"RabbitMQ"`
 * @param defaultPort - the port when `url` names none
 */
export async function serviceReachable(what: string, url: string, defaultPort?: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || defaultPort) });
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
