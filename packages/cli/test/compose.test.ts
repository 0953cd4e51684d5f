/**
 * docker-compose.yml, .env.example and the Dockerfile: validated by docker-compose
 * when it is installed, and their structural promises checked by parsing them
 * either way (no Docker engine is needed).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseDocument } from 'yaml';

const ROOT = resolve(__dirname, '..', '..', '..');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  command?: string[];
  env_file?: string | string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  ports?: string[];
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  name?: string;
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const APPS = { 'issuer-registry': '8081', 'token-service': '8080', 'audit-worker': '8082' } as const;
const hasDockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

describe('docker-compose.yml', () => {
  it(`is valid: ${hasDockerCompose ? 'docker-compose config -q' : 'a strict YAML parse (docker-compose is not installed here)'}`, () => {
    if (hasDockerCompose) {
      const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } else {
      const document = parseDocument(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true, uniqueKeys: true, strict: true });
      expect(document.errors).toEqual([]);
      expect(document.warnings).toEqual([]);
    }
  });

  it('has no top-level name', () => {
    expect(compose).not.toHaveProperty('name');
  });

  it('runs Postgres and Redis with health checks; Redis with AOF and a volume', () => {
    expect(compose.services.postgres!.healthcheck!.test.join(' ')).toContain('pg_isready');
    const redis = compose.services.redis!;
    expect(redis.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(redis.command!.join(' ')).toContain('--appendonly yes');
    expect(compose.volumes).toHaveProperty('redis-data');
  });

  it.each(Object.entries(APPS))('%s: a one-shot migration, then the service with a /healthz check on port %s', (app, port) => {
    const migrate = compose.services[`migrate-${app}`]!;
    expect(migrate.command).toEqual(['node', 'dist/main.js', 'migrate']);
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });

    const service = compose.services[app]!;
    expect(service.image).toBe(migrate.image);
    expect(service.build).toEqual({ context: '.', dockerfile: 'infra/docker/service.Dockerfile', args: { APP: app, PORT: port } });
    expect(service.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(service.env_file).toBe('.env.example');
    expect(service.ports).toContain(`${port}:${port}`);
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

  it('token-service migrates after the registry whose tables it reads', () => {
    expect(compose.services['migrate-token-service']!.depends_on).toMatchObject({ 'migrate-issuer-registry': { condition: 'service_completed_successfully' } });
  });
});

describe('.env.example', () => {
  const settings = Object.fromEntries(
    readFileSync(join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('sets every variable of CONTRACT.md plus REDIS_PREFIX and LOG_LEVEL', () => {
    for (const name of [
      'DATABASE_URL',
      'REDIS_URL',
      'REDIS_PREFIX',
      'BROKER_ISSUER',
      'ADMIN_API_KEY',
      'KEY_ENCRYPTION_KEY',
      'TOKEN_SERVICE_PORT',
      'ISSUER_REGISTRY_PORT',
      'AUDIT_WORKER_PORT',
      'CLIENT_ASSERTION_AUDIENCE_COMPAT',
      'OUTBOUND_ALLOW_PRIVATE_NETWORKS',
      'LOG_LEVEL',
    ]) {
      expect({ name, set: (settings[name] ?? '') !== '' }).toEqual({ name, set: true });
    }
  });

  it('has a well-formed 32-byte KEY_ENCRYPTION_KEY and keeps private-network fetches off', () => {
    expect(Buffer.from(settings.KEY_ENCRYPTION_KEY!, 'base64')).toHaveLength(32);
    expect(settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS).toBe('false');
    expect(new URL(settings.DATABASE_URL!).hostname).toBe('postgres');
    expect(new URL(settings.REDIS_URL!).hostname).toBe('redis');
  });
});

describe('infra/docker/service.Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'infra', 'docker', 'service.Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+ /.test(line));

  it('is multi-stage on node:20-slim: prune, build, runtime', () => {
    expect(dockerfile).toContain('ARG NODE_IMAGE=node:20-slim');
    expect(instructions.filter((line) => line.startsWith('FROM ')).map((line) => line.split(' AS ')[1])).toEqual(['prune', 'build', 'runtime']);
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
    const ignore = readFileSync(join(ROOT, 'infra', 'docker', 'service.Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.data', '.env', '**/node_modules', '.git']) expect(ignore).toContain(entry);
  });
});
