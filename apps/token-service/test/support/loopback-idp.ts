/**
 * A partner's IdP on 127.0.0.1 for end-to-end tests: serves, per path, a JSON document
 * (discovery metadata, a JWKS) with the content type that IdP really uses. The broker's
 * registry fetches from it with OUTBOUND_ALLOW_PRIVATE_NETWORKS=true.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackIdp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Serves `body` as JSON at `path` with `contentType`. */
  serve(path: string, body: unknown, contentType?: string): void;
  hits(path: string): number;
  close(): Promise<void>;
}

export async function startLoopbackIdp(): Promise<LoopbackIdp> {
  const documents = new Map<string, { body: string; contentType: string }>();
  const hits = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const document = documents.get(path);
    if (!document) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': document.contentType, 'cache-control': 'public, max-age=3600' }).end(document.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    serve: (path, body, contentType = 'application/json') => documents.set(path, { body: JSON.stringify(body), contentType }),
    hits: (path) => hits.get(path) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
