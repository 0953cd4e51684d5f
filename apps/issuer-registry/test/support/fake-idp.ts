/** A partner's IdP on 127.0.0.1 (node:http): each path answers what the test says, and every request is counted. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

export interface FakeIdp {
  url: string;
  port: number;
  route(path: string, handler: Route): void;
  hits(path: string): number;
  requests(path: string): IncomingMessage[];
  close(): Promise<void>;
}

export async function startFakeIdp(): Promise<FakeIdp> {
  const routes = new Map<string, Route>();
  const seen = new Map<string, IncomingMessage[]>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    seen.set(path, [...(seen.get(path) ?? []), req]);
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404).end('not found');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    route: (path, handler) => routes.set(path, handler),
    hits: (path) => seen.get(path)?.length ?? 0,
    requests: (path) => seen.get(path) ?? [],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(body: unknown, headers: Record<string, string> = {}): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
}
