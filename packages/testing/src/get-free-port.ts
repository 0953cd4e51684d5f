import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The first port in [from, to] that is free on 127.0.0.1 now (tests that must stay in a given range). */
export async function getFreePortIn(from: number, to: number, skip: (port: number) => boolean = () => false): Promise<number> {
  for (let port = from; port <= to; port++) {
    if (!skip(port) && (await isFree(port))) return port;
  }
  throw new Error(`no free port in ${from}-${to}`);
}

/** Whether 127.0.0.1:`port` can be listened on now. */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
