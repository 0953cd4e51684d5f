/**
 * A redis-server of the test's own, on a spare port, that the test stops and starts again:
 * a real Redis outage that no other test sees.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventually } from './eventually';
import { getFreePort } from './get-free-port';

export interface OwnRedisServerOptions {
  /**
   * AOF on with an fsync per write, in a directory of its own: nothing acknowledged is lost
   * across `stop` and `resume` (slower to start). Off, the default: no persistence, so
   * every `resume` starts an empty Redis.
   */
  persistent?: boolean;
  /** The port to listen on (default: any free one). */
  port?: number;
  /** More redis-server arguments, e.g. `['--replicaof', '127.0.0.1', '7100']`. */
  args?: string[];
}

export class OwnRedisServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    /** Where the AOF lives; only for a persistent server. */
    private readonly dir: string | undefined,
    private readonly args: string[] = [],
  ) {}

  /** Starts a redis-server on a free port of 127.0.0.1 and waits until it answers PING. */
  static async start(options: OwnRedisServerOptions = {}): Promise<OwnRedisServer> {
    const dir = options.persistent ? mkdtempSync(join(tmpdir(), 'tb-redis-')) : undefined;
    const server = new OwnRedisServer(options.port ?? (await getFreePort()), dir, options.args);
    await server.resume();
    return server;
  }

  /** The redis-server process, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port (and AOF, if persistent); resolves once it answers PING. */
  async resume(): Promise<void> {
    const persistence = this.dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir] : ['--appendonly', 'no'];
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...this.args], { stdio: 'ignore' });
    await eventually(async () => {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    }, 20_000, 50);
  }

  /** SIGTERM: the server refuses new connections at once and exits. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops the server and removes its AOF directory, if it has one. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
