/**
 * A TCP proxy the test can cut and restore on the same port: everything behind it (here
 * Postgres) becomes unreachable at once, then reachable again. As in token-service's tests.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { getFreePort } from '@trust-broker/testing';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server?: Server;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort, await getFreePort());
    await proxy.restore();
    return proxy;
  }

  /** Accepts connections again, on the same port. */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
  }

  /** Refuses new connections and cuts the open ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** `url` with its host and port replaced by the proxy's. */
  wrap(url: string): string {
    const wrapped = new URL(url);
    wrapped.hostname = '127.0.0.1';
    wrapped.port = String(this.port);
    return wrapped.toString();
  }
}
