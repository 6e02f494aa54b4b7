import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';

/** A running silent server; see {@link startSilentServer}. */
export interface SilentServer {
  /** `http://127.0.0.1:<port>` (the same port speaks no protocol at all). */
  url: string;
  port: number;
  /** Number of connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Starts a TCP server on 127.0.0.1 (a free port) that accepts connections and never
 * answers: neither an HTTP response nor an SMTP greeting. Use it to check that a channel
 * gives up when its `ctx.signal` aborts or its own timeout passes, instead of hanging.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => accepted,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
