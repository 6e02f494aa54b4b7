import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy in front of a real server, to take the server "away" in tests. */
export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1); stays the same across `stop` and `start`. */
  readonly port: number;
  /** Drops every connection and stops listening: clients see the server vanish. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on 127.0.0.1 that forwards to `target`. `stop()` cuts every open
 * connection at once, as a crashed or restarted server would; `start()` brings it back.
 */
export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(target.port, target.host ?? '127.0.0.1');
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  await listen();
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  return {
    get port() {
      return port;
    },
    stop,
    start: () => (server ? Promise.resolve() : listen()),
    close: stop,
  };
}
