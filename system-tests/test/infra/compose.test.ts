/**
 * docker-compose.yml, .env.example, `npm run compose:init` and the Dockerfile, read as
 * files: validated by docker-compose when it is installed (.ci/run installs it), their
 * promises checked by parsing them either way. The stack itself runs in
 * `npm run test:compose` (system-tests/compose).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { composeInit, readEnvFile } from '../support/env-file';

const ROOT = resolve(__dirname, '..', '..', '..');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  ports?: string[];
}

const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as {
  name?: string;
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const APPS = { 'issuer-registry': '8081', 'token-service': '8080', 'audit-worker': '8082' } as const;
const hasDockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const work = mkdtempSync(join(tmpdir(), 'tb-compose-static-'));

describe('docker-compose.yml', () => {
  it(`is valid with the settings compose:init writes: ${hasDockerCompose ? 'docker-compose config -q' : 'a strict YAML parse (docker-compose is not installed here)'}`, () => {
    const envFile = join(work, 'valid.env');
    expect(composeInit(envFile).status).toBe(0);
    if (hasDockerCompose) {
      const result = spawnSync('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } else {
      const document = parseDocument(composeText, { merge: true, uniqueKeys: true, strict: true });
      expect(document.errors).toEqual([]);
      expect(document.warnings).toEqual([]);
    }
  });

  it(`refuses to start without each secret, naming it and compose:init${hasDockerCompose ? '' : ' (the messages in the file: docker-compose is not installed here)'}`, () => {
    const full = readEnvFile(join(work, 'valid.env'));
    for (const secret of ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY', 'POSTGRES_PASSWORD']) {
      if (!hasDockerCompose) {
        expect(composeText).toContain(`\${${secret}:?${secret} is not set; run npm run compose:init}`);
        continue;
      }
      const envFile = join(work, `without-${secret}.env`);
      writeFileSync(envFile, Object.entries({ ...full, [secret]: '' }).map(([k, v]) => `${k}=${v}`).join('\n'));
      const result = spawnSync('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH } });
      expect({ secret, status: result.status }).toEqual({ secret, status: 1 });
      expect(result.stderr).toContain(`${secret} is not set; run npm run compose:init`);
    }
  });

  it('has no top-level name (docker-compose v1 refuses it)', () => {
    expect(compose).not.toHaveProperty('name');
  });

  it('reads no env file: every secret must be given, none has a default', () => {
    for (const [name, service] of Object.entries(compose.services)) expect({ name, env_file: service.env_file }).toEqual({ name, env_file: undefined });
    for (const secret of ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY', 'POSTGRES_PASSWORD']) {
      const uses = composeText.match(new RegExp(`\\$\\{${secret}[^}]*\\}`, 'g')) ?? [];
      expect(uses.length).toBeGreaterThan(0);
      for (const use of uses) expect(use).toMatch(new RegExp(`^\\$\\{${secret}:\\?`));
    }
  });

  it('builds DATABASE_URL from the Postgres settings it gives Postgres', () => {
    const postgres = compose.services.postgres!.environment!;
    const url = compose.services['token-service']!.environment!.DATABASE_URL!;
    expect(url).toBe(`postgres://${postgres.POSTGRES_USER}:${postgres.POSTGRES_PASSWORD}@postgres:5432/${postgres.POSTGRES_DB}`);
  });

  it('pins every image it pulls to a release, on Debian', () => {
    expect(compose.services.postgres!.image).toMatch(/^postgres:\d+\.\d+-bookworm$/);
    expect(compose.services.redis!.image).toMatch(/^redis:\d+\.\d+\.\d+-bookworm$/);
  });

  it('publishes the admin and audit APIs, Postgres and Redis on 127.0.0.1 unless the operator opts out', () => {
    expect(compose.services['issuer-registry']!.ports).toEqual(['${ADMIN_BIND_ADDRESS:-127.0.0.1}:${ISSUER_REGISTRY_PUBLISHED_PORT:-8081}:8081']);
    expect(compose.services['audit-worker']!.ports).toEqual(['${ADMIN_BIND_ADDRESS:-127.0.0.1}:${AUDIT_WORKER_PUBLISHED_PORT:-8082}:8082']);
    expect(compose.services.postgres!.ports).toEqual(['127.0.0.1:${POSTGRES_PUBLISHED_PORT:-5432}:5432']);
    expect(compose.services.redis!.ports).toEqual(['127.0.0.1:${REDIS_PUBLISHED_PORT:-6379}:6379']);
    expect(readEnvFile(join(ROOT, '.env.example')).ADMIN_BIND_ADDRESS).toBe('127.0.0.1');
  });

  it('runs Postgres and Redis with health checks; Redis with AOF and a volume', () => {
    expect(compose.services.postgres!.healthcheck!.test.join(' ')).toContain('pg_isready');
    const redis = compose.services.redis!;
    expect(redis.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(redis.command!.join(' ')).toContain('--appendonly yes');
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(compose.volumes).toHaveProperty('postgres-data');
  });

  it.each(Object.entries(APPS))('%s: a one-shot migration, then the service with a /healthz check on port %s', (app, port) => {
    const migrate = compose.services[`migrate-${app}`]!;
    expect(migrate.command).toEqual(['node', 'dist/main.js', 'migrate']);
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });

    const service = compose.services[app]!;
    expect(service.image).toBe(migrate.image);
    expect(service.environment).toEqual(migrate.environment);
    expect(service.build).toEqual({ context: '.', dockerfile: 'infra/docker/service.Dockerfile', args: { APP: app, PORT: port } });
    expect(service.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(service.ports![0]).toMatch(new RegExp(`:${port}$`));
    expect(service.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      [`migrate-${app}`]: { condition: 'service_completed_successfully' },
    });
  });

  it('every depends_on has a condition, and every long-running service a health check', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, spec] of Object.entries(service.depends_on ?? {})) {
        expect({ name, dependency, condition: spec.condition }).toEqual({ name, dependency, condition: expect.stringMatching(/^service_(healthy|completed_successfully)$/) });
        expect(compose.services).toHaveProperty(dependency);
      }
      if (!name.startsWith('migrate-')) expect({ name, healthcheck: service.healthcheck !== undefined }).toEqual({ name, healthcheck: true });
    }
  });

  it("relays the console's audit reads to the audit-worker service, not to the registry's own container", () => {
    expect(compose.services['issuer-registry']!.environment!.AUDIT_API_URL).toBe(`http://audit-worker:${APPS['audit-worker']}`);
  });

  it('token-service migrates after the registry whose tables it reads', () => {
    expect(compose.services['migrate-token-service']!.depends_on).toMatchObject({ 'migrate-issuer-registry': { condition: 'service_completed_successfully' } });
  });
});

describe('npm run compose:init', () => {
  it('writes fresh secrets into a mode-600 file, different each time, and never replaces one', () => {
    const first = join(work, 'first.env');
    const second = join(work, 'second.env');
    expect(composeInit(first).status).toBe(0);
    expect(composeInit(second).status).toBe(0);
    expect(statSync(first).mode & 0o777).toBe(0o600);
    const a = readEnvFile(first);
    const b = readEnvFile(second);
    for (const secret of ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY', 'POSTGRES_PASSWORD']) {
      expect(a[secret]!.length).toBeGreaterThanOrEqual(32);
      expect(a[secret]).not.toBe(b[secret]);
    }
    expect(Buffer.from(a.KEY_ENCRYPTION_KEY!, 'base64')).toHaveLength(32);
    expect(a.POSTGRES_PASSWORD).toMatch(/^[\w-]+$/); // URL-safe: it goes into DATABASE_URL as is
    const before = readFileSync(first, 'utf8');
    const again = composeInit(first);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('exists');
    expect(readFileSync(first, 'utf8')).toBe(before);
  });

  it('.env is git-ignored, and .env.example holds no secret', () => {
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
    const example = readEnvFile(join(ROOT, '.env.example'));
    for (const secret of ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY', 'POSTGRES_PASSWORD']) expect({ secret, value: example[secret] }).toEqual({ secret, value: '' });
    expect(example.OUTBOUND_ALLOW_PRIVATE_NETWORKS).toBe('false');
  });
});

describe('infra/docker/service.Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'infra', 'docker', 'service.Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+ /.test(line));

  it('is multi-stage on a pinned Node.js LTS (24) slim image: prune, build, runtime', () => {
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    expect(instructions.filter((line) => line.startsWith('FROM ')).map((line) => line.split(' AS ')[1])).toEqual(['prune', 'build', 'runtime']);
  });

  it("the root engines field admits the image's Node.js 24 and the Node.js running these tests", () => {
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const [, major, minor] = /^>=(\d+)\.(\d+)$/.exec(engines) ?? [];
    const [runningMajor, runningMinor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(Number(major)).toBeLessThanOrEqual(24);
    expect(runningMajor > Number(major) || (runningMajor === Number(major) && runningMinor >= Number(minor))).toBe(true);
  });

  it('prunes to the app with turbo, installs with npm ci, and drops dev dependencies', () => {
    expect(dockerfile).toMatch(/turbo prune "@trust-broker\/\$\{APP\}" --docker/);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('runs as a non-root user with a health check', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
    expect(runtime).toContain('/healthz');
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('CMD ["node", "dist/main.js"]'));
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.data', '.env', '**/node_modules', '.git']) expect(ignore).toContain(entry);
  });
});
