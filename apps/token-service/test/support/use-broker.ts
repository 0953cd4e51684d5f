/**
 * The broker of one test file: `useBroker` registers the beforeAll that starts a fresh
 * environment and its token service, and the afterAll that stops everything it started,
 * so that a file states only its own parties and settings.
 */
import { OwnRedisServer, TcpProxy, type AdminApi, type OwnRedisServerOptions, type RunningProcess } from '@trust-broker/testing';
import { AuditQueueReader } from './audit-queue';
import { startBrokerEnvironment, startTokenService, type BrokerEnvironment, type TokenServiceInstance } from './broker-environment';

export interface UseBrokerOptions {
  /** Settings of the issuer registry. */
  registryEnv?: Record<string, string>;
  /** Settings of the token service. */
  tokenServiceEnv?: Record<string, string>;
  /**
   * The file calls `startTokenService` itself, after its own setup: when its settings
   * depend on that setup (a Redis or a proxy of its own), or its first trust load must
   * find what the setup wrote.
   */
  deferTokenService?: boolean;
}

/** The environment and the token service of a test file; it answers as that token service. */
export class Broker implements TokenServiceInstance {
  private environment?: BrokerEnvironment;
  private tokenService?: TokenServiceInstance;
  private auditReader?: AuditQueueReader;
  private readonly replicas: TokenServiceInstance[] = [];
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(
    private readonly label: string,
    private readonly options: UseBrokerOptions,
  ) {}

  get env(): BrokerEnvironment {
    return started(this.environment, 'the environment');
  }

  get admin(): AdminApi {
    return this.env.admin;
  }

  get service(): TokenServiceInstance {
    return started(this.tokenService, 'the token service');
  }

  get url(): string {
    return this.service.url;
  }

  get issuer(): string {
    return this.service.issuer;
  }

  get tokenEndpoint(): string {
    return this.service.tokenEndpoint;
  }

  get process(): RunningProcess {
    return this.service.process;
  }

  /** The audit events the token services enqueued (no audit-worker runs); opened on first use. */
  get audit(): AuditQueueReader {
    this.auditReader ??= new AuditQueueReader(this.env.redis.url, this.env.redis.prefix);
    return this.auditReader;
  }

  async start(): Promise<void> {
    this.environment = await startBrokerEnvironment(this.label, this.options.registryEnv);
    if (!this.options.deferTokenService) await this.startTokenService();
  }

  /** Starts the token service this broker answers as. */
  async startTokenService(env: Record<string, string> = this.options.tokenServiceEnv ?? {}): Promise<TokenServiceInstance> {
    this.tokenService = await startTokenService(this.env, env);
    return this.tokenService;
  }

  /** Another token service of the environment (with `BROKER_ISSUER: broker.issuer`, a replica of this one). */
  async startReplica(env: Record<string, string> = {}): Promise<TokenServiceInstance> {
    const replica = await startTokenService(this.env, env);
    this.replicas.push(replica);
    return replica;
  }

  /** A redis-server of the test's own, stopped once the token services are. */
  async startOwnRedis(options?: OwnRedisServerOptions): Promise<OwnRedisServer> {
    const redis = await OwnRedisServer.start(options);
    this.onStop(() => redis.stop());
    return redis;
  }

  /** A TCP proxy to the environment's Postgres, for the test to cut; closed once the token services are stopped. */
  async startDatabaseProxy(): Promise<TcpProxy> {
    const target = new URL(this.env.database.url);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    this.onStop(() => proxy.cut());
    return proxy;
  }

  /**
   * Runs `cleanup` in afterAll, once the token services are stopped, before the environment
   * is. A file's own afterAll runs after this one's (Jest runs them in the order declared),
   * when the database is gone: what holds a connection to it closes here.
   */
  onStop(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  async stop(): Promise<void> {
    await this.auditReader?.close();
    // A stopped process stops again at once: a replica a test restarted is no matter.
    await Promise.all([this.tokenService, ...this.replicas].map((service) => service?.process.stop()));
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    await this.environment?.stop();
  }
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started yet (useBroker starts it in beforeAll)`);
  return value;
}

/** The broker of this test file, started in beforeAll and stopped in afterAll. */
export function useBroker(label: string, options: UseBrokerOptions = {}): Broker {
  // Real processes on a loaded 2-core machine: starting them, and the tests' waits on the
  // trust cache and on outages, take minutes (the file's hooks and tests share this).
  jest.setTimeout(300_000);
  const broker = new Broker(label, options);
  beforeAll(() => broker.start());
  afterAll(() => broker.stop());
  return broker;
}
