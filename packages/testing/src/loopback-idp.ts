/**
 * A partner's IdP on 127.0.0.1 for end-to-end tests: each path serves a JSON document
 * (discovery metadata, a JWKS) or answers what the test's handler says, and every request
 * is counted. The broker's registry fetches from it with OUTBOUND_ALLOW_PRIVATE_NETWORKS=true.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type LoopbackRoute = (request: IncomingMessage, response: ServerResponse) => void;

export interface LoopbackIdp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /**
   * Serves `body` as JSON at `path` from now on (again to change it, e.g. a rotated JWKS),
   * with the content type and caching that IdP really sends.
   */
  serve(path: string, body: unknown, contentType?: string, cacheControl?: string): void;
  /** Answers `path` with `handler` from now on (faults, slow answers, headers of its own). */
  route(path: string, handler: LoopbackRoute): void;
  hits(path: string): number;
  requests(path: string): IncomingMessage[];
  close(): Promise<void>;
}

export async function startLoopbackIdp(): Promise<LoopbackIdp> {
  const routes = new Map<string, LoopbackRoute>();
  const seen = new Map<string, IncomingMessage[]>();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    seen.set(path, [...(seen.get(path) ?? []), request]);
    const handler = routes.get(path);
    if (!handler) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    serve(path, body, contentType = 'application/json', cacheControl = 'public, max-age=3600') {
      routes.set(path, jsonRoute(body, { 'content-type': contentType, 'cache-control': cacheControl }));
    },
    route: (path, handler) => routes.set(path, handler),
    hits: (path) => seen.get(path)?.length ?? 0,
    requests: (path) => seen.get(path) ?? [],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A route that answers `body` as JSON, with `headers` over the content type (a caching header of its own, another content type). */
export function jsonRoute(body: unknown, headers: Record<string, string> = {}): LoopbackRoute {
  const text = JSON.stringify(body);
  return (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(text);
  };
}
