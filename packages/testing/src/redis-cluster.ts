/**
 * A Redis Cluster of the test's own on loopback: `primaries` redis-servers with
 * `--cluster-enabled yes`, each with `replicasPerPrimary` replicas, joined by
 * `redis-cli --cluster create`. The test may kill a primary or fail one over; nothing
 * else on the machine sees it. No persistence: a killed node comes back empty.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis, { Cluster } from 'ioredis';
import { eventually } from './eventually';
import { isFree } from './get-free-port';

const run = promisify(execFile);

export interface OwnRedisClusterOptions {
  primaries?: number;
  replicasPerPrimary?: number;
  /** `cluster-node-timeout`: how long a primary may be silent before its replica takes over. */
  nodeTimeoutMs?: number;
  /**
   * Ports the nodes may use, both ends included: the lower half for clients, the upper
   * half for the cluster bus (`cluster-port`). Default: TEST_REDIS_CLUSTER_PORTS
   * (`from-to`), else 7000-7199.
   */
  portRange?: [number, number];
}

export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'primary' | 'replica';
  /** For a replica: its primary's id. */
  primaryId?: string;
  /** For a primary: the slot ranges it serves. */
  slots: Array<[number, number]>;
}

export class OwnRedisCluster {
  private readonly children = new Map<number, ChildProcess>();

  private constructor(
    readonly ports: number[],
    private readonly dir: string,
    private readonly nodeTimeoutMs: number,
    private readonly primaries: number,
    private readonly busOffset: number,
  ) {}

  static async start(options: OwnRedisClusterOptions = {}): Promise<OwnRedisCluster> {
    const primaries = options.primaries ?? 3;
    const replicas = options.replicasPerPrimary ?? 1;
    const range = options.portRange ?? portRangeFromEnv();
    const busOffset = Math.floor((range[1] - range[0] + 1) / 2);
    const ports: number[] = [];
    while (ports.length < primaries * (1 + replicas)) {
      const port = await freeClusterPort(range[0], range[0] + busOffset - 1, busOffset, ports);
      ports.push(port);
    }
    const cluster = new OwnRedisCluster(ports, mkdtempSync(join(tmpdir(), 'tb-redis-cluster-')), options.nodeTimeoutMs ?? 2000, primaries, busOffset);
    try {
      for (const port of ports) await cluster.startNode(port);
      await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], {
        timeout: 60_000,
      });
      await cluster.untilHealthy();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** The redis-server processes running now (CPU accounting in benchmarks). */
  get pids(): number[] {
    return [...this.children.values()].map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** `REDIS_CLUSTER_NODES` for the services: every node as a seed. */
  get seeds(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** A client of the test's own (commands follow MOVED; the caller disconnects it). */
  client(): Cluster {
    return new Cluster(
      this.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: 3 }, retryDelayOnFailover: 200 },
    );
  }

  /** The cluster as one live node sees it (CLUSTER NODES), dead nodes left out. */
  async nodes(): Promise<ClusterNodeInfo[]> {
    const alive = [...this.children.keys()];
    let lastError: unknown;
    for (const port of alive) {
      try {
        const text = await this.command(port, 'CLUSTER', 'NODES');
        return parseClusterNodes(String(text)).filter((node) => this.children.has(node.port));
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error('no cluster node answers');
  }

  /** The port of the primary that serves `key`'s slot now. */
  async primaryPortOf(key: string): Promise<number> {
    const slot = Number(await this.command(this.anyLivePort(), 'CLUSTER', 'KEYSLOT', key));
    const owner = (await this.nodes()).find((node) => node.role === 'primary' && node.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!owner) throw new Error(`no primary serves slot ${slot}`);
    return owner.port;
  }

  /** The keys matching `pattern` on the node at `port` (KEYS: for the test's own small cluster only). */
  async keysAt(port: number, pattern: string): Promise<string[]> {
    return (await this.command(port, 'KEYS', pattern)) as string[];
  }

  /** SIGKILL the node: no goodbye, no last replication. Its replica takes over after the node timeout. */
  async kill(port: number): Promise<void> {
    const child = this.children.get(port);
    if (!child) return;
    this.children.delete(port);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * Waits until every live node reports `cluster_state:ok`, every slot has a live primary,
   * and every live node that serves no slot replicates one (after `create`, and after a failover).
   */
  async untilHealthy(timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => {
        for (const port of this.children.keys()) {
          const info = String(await this.command(port, 'CLUSTER', 'INFO'));
          if (!info.includes('cluster_state:ok')) return false;
        }
        const nodes = await this.nodes();
        const primaries = nodes.filter((node) => node.role === 'primary');
        const covered = primaries.reduce((sum, node) => sum + node.slots.reduce((n, [a, b]) => n + b - a + 1, 0), 0);
        return covered === 16384 && primaries.length === this.primaries && primaries.every((node) => node.slots.length > 0);
      },
      timeoutMs,
      200,
    );
  }

  async destroy(): Promise<void> {
    for (const port of [...this.children.keys()]) await this.kill(port);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async startNode(port: number): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-port', String(port + this.busOffset),
        '--cluster-config-file', join(this.dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', String(this.nodeTimeoutMs),
        '--dir', this.dir,
        '--save', '',
        '--appendonly', 'no',
      ],
      { stdio: 'ignore' },
    );
    this.children.set(port, child);
    await eventually(async () => (await this.command(port, 'PING').catch(() => '')) === 'PONG', 20_000, 50);
  }

  private anyLivePort(): number {
    const port = this.children.keys().next().value;
    if (port === undefined) throw new Error('no cluster node runs');
    return port;
  }

  private async command(port: number, ...args: string[]): Promise<unknown> {
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return await probe.call(args[0]!, ...args.slice(1));
    } finally {
      probe.disconnect();
    }
  }
}

/** CLUSTER NODES lines: `<id> <ip:port@bus> <flags> <primary-id> ... <slot ranges>`. */
function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const fields = line.trim().split(' ');
      const port = Number(fields[1]!.split('@')[0]!.split(':').pop());
      const flags = fields[2]!.split(',');
      const role: ClusterNodeInfo['role'] = flags.includes('master') ? 'primary' : 'replica';
      const slots = fields
        .slice(8)
        .filter((field) => !field.startsWith('['))
        .map((range): [number, number] => {
          const [from, to] = range.split('-').map(Number);
          return [from!, to ?? from!];
        });
      return { id: fields[0]!, port, role, ...(role === 'replica' ? { primaryId: fields[3]! } : {}), slots, failed: flags.includes('fail') };
    })
    .filter((node) => !node.failed)
    .map(({ failed: _failed, ...node }) => node);
}

/** TEST_REDIS_CLUSTER_PORTS (`from-to`), else 7000-7199. */
function portRangeFromEnv(): [number, number] {
  const value = process.env.TEST_REDIS_CLUSTER_PORTS ?? '7000-7199';
  const match = /^(\d+)-(\d+)$/.exec(value.trim());
  const [from, to] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(from >= 1024 && to <= 65535 && to - from >= 11)) throw new Error(`TEST_REDIS_CLUSTER_PORTS: expected from-to with room for 12 ports, got "${value}"`);
  return [from, to];
}

/** A free port of 127.0.0.1 in [from, to] whose cluster bus port (+busOffset) is free too. */
async function freeClusterPort(from: number, to: number, busOffset: number, taken: number[]): Promise<number> {
  for (let port = from; port <= to; port++) {
    if (taken.includes(port)) continue;
    if ((await isFree(port)) && (await isFree(port + busOffset))) return port;
  }
  throw new Error(`no free port pair for a cluster node in ${from}-${to + busOffset}`);
}
