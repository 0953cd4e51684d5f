import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A port nothing listens on: Redis is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createRedis', () => {
  // ioredis arms a timer on disconnect() to destroy a socket that does not close, even when
  // the socket is already gone (Redis down); nothing clears it then, so a process stayed up
  // that long after closing its clients (2 s by default; jest: "did not exit one second after").
  // In a process of its own (the built module), so that nothing else holds its event loop.
  it.each(['request', 'queue', 'subscriber'])('a process that closes its %s client while Redis is down ends at once', async (role) => {
    const script = `
      const { createRedis } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'redis.js'))});
      const redis = createRedis('redis://127.0.0.1:${await closedPort()}', '${role}');
      redis.on('error', () => undefined);
      redis.once('reconnecting', () => {
        const closedAt = Date.now();
        process.on('exit', () => console.log(Date.now() - closedAt));
        redis.disconnect();
      });`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(Number(result.stdout)).toBeLessThan(1000);
  });
});
