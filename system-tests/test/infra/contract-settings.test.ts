/**
 * CONTRACT.md, "Processes, ports, settings": every variable of its settings table that a
 * service reads reaches that service from docker-compose.yml (set from .env, with a default
 * the config accepts) and from the Kubernetes base (its ConfigMap or the Secret's keys), so
 * an operator sets LOG_FORMAT or TRUST_PROXY without editing either. Which app reads which
 * variable is read from the config schemas' sources, so the list below cannot go stale.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { productionConfigMapData } from '../support/k8s-overlay';

const ROOT = resolve(__dirname, '..', '..', '..');

/** The settings table of CONTRACT.md, in its order. */
const CONTRACT_SETTINGS = [
  'DATABASE_URL',
  'REDIS_URL',
  'BROKER_ISSUER',
  'ADMIN_API_KEY',
  'KEY_ENCRYPTION_KEY',
  'TOKEN_SERVICE_PORT',
  'ISSUER_REGISTRY_PORT',
  'AUDIT_WORKER_PORT',
  'CLIENT_ASSERTION_AUDIENCE_COMPAT',
  'OUTBOUND_ALLOW_PRIVATE_NETWORKS',
  'REDIS_CLUSTER_NODES',
  'LOG_FORMAT',
  'TRUST_PROXY',
] as const;

/** Fixed by compose itself, not from .env: the compose Postgres and Redis, the container ports. */
const COMPOSE_FIXED = new Set(['DATABASE_URL', 'REDIS_URL', 'TOKEN_SERVICE_PORT', 'ISSUER_REGISTRY_PORT', 'AUDIT_WORKER_PORT']);

const APP_CONFIGS = {
  'token-service': 'apps/token-service/src/config/token-service.config.ts',
  'issuer-registry': 'apps/issuer-registry/src/config/registry.config.ts',
  'audit-worker': 'apps/audit-worker/src/config/audit-worker.config.ts',
} as const;
type App = keyof typeof APP_CONFIGS;
const APPS = Object.keys(APP_CONFIGS) as App[];

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
/** The `NAME:` keys of a zod object shape written in TypeScript source. */
const declaredKeys = (source: string) => new Set([...source.matchAll(/^\s+([A-Z][A-Z0-9_]*): /gm)].map((match) => match[1]!));

const serviceKit = read('packages/service-kit/src/config.ts');
const commonShape = serviceKit.slice(serviceKit.indexOf('export const commonEnvShape = {'), serviceKit.indexOf('\n};', serviceKit.indexOf('export const commonEnvShape = {')));
const commonKeys = declaredKeys(commonShape);
/** The contract's variables each app's config schema declares (its own and the common shape). */
const readBy = Object.fromEntries(
  APPS.map((app) => {
    const keys = new Set([...commonKeys, ...declaredKeys(read(APP_CONFIGS[app]))]);
    return [app, CONTRACT_SETTINGS.filter((name) => keys.has(name))];
  }),
) as Record<App, string[]>;

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { environment?: Record<string, string> }> };
const K8S = join('infra', 'k8s');
const baseManifests = (parse(read(join(K8S, 'base', 'kustomization.yaml'))) as { resources: string[] }).resources.flatMap((file) =>
  parseAllDocuments(read(join(K8S, 'base', file))).map((document) => document.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: any }), // eslint-disable-line @typescript-eslint/no-explicit-any
);
const configMap = baseManifests.find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === 'trust-broker-config')!.data!;
const secretKeys = Object.keys((parseAllDocuments(read(join(K8S, 'secret.example.yaml')))[0]!.toJS() as { stringData: Record<string, string> }).stringData);

function readEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe("the contract's settings table against the config schemas", () => {
  it('every variable of the table is read by some app, LOG_FORMAT, TRUST_PROXY and REDIS_CLUSTER_NODES by all three', () => {
    for (const name of CONTRACT_SETTINGS) expect({ name, readers: APPS.filter((app) => readBy[app].includes(name)).length > 0 }).toEqual({ name, readers: true });
    for (const app of APPS) expect(readBy[app]).toEqual(expect.arrayContaining(['LOG_FORMAT', 'TRUST_PROXY', 'REDIS_CLUSTER_NODES', 'DATABASE_URL', 'REDIS_URL']));
  });
});

describe('docker-compose.yml', () => {
  it.each(APPS)('%s and its migration step are given every contract variable the app reads', (app) => {
    for (const service of [app, `migrate-${app}`]) {
      const environment = compose.services[service]!.environment ?? {};
      const missing = readBy[app].filter((name) => !(name in environment));
      expect({ service, missing }).toEqual({ service, missing: [] });
    }
  });

  it('lets .env set each of them that is not fixed by compose, and .env.example lists them', () => {
    const example = readEnv(read('.env.example'));
    const environment = compose.services['token-service']!.environment!;
    for (const name of CONTRACT_SETTINGS.filter((setting) => !COMPOSE_FIXED.has(setting))) {
      expect({ name, value: environment[name] }).toEqual({ name, value: expect.stringMatching(new RegExp(`^\\$\\{${name}(:[-?][^}]*)?\\}$`)) });
      expect({ name, listed: name in example }).toEqual({ name, listed: true });
    }
  });

  it('defaults LOG_FORMAT to json and TRUST_PROXY and REDIS_CLUSTER_NODES to empty (none; the compose Redis)', () => {
    const environment = compose.services['token-service']!.environment!;
    expect(environment).toMatchObject({ LOG_FORMAT: '${LOG_FORMAT:-json}', TRUST_PROXY: '${TRUST_PROXY:-}', REDIS_CLUSTER_NODES: '${REDIS_CLUSTER_NODES:-}' });
    expect(readEnv(read('.env.example'))).toMatchObject({ LOG_FORMAT: 'json', TRUST_PROXY: '', REDIS_CLUSTER_NODES: '' });
  });
});

describe('infra/k8s/base', () => {
  const workloads = baseManifests.filter((manifest) => manifest.kind === 'Deployment' || manifest.kind === 'Job');
  const containers = workloads.flatMap((manifest) => [...(manifest.spec.template.spec.initContainers ?? []), ...manifest.spec.template.spec.containers] as Array<{ name: App; envFrom: unknown }>);

  it('every container of the services and the migration Job reads the ConfigMap and the Secret', () => {
    expect(containers.map((container) => container.name).sort()).toEqual([...APPS, ...APPS].sort());
    for (const container of containers) expect(container.envFrom).toEqual([{ configMapRef: { name: 'trust-broker-config' } }, { secretRef: { name: 'trust-broker-secrets' } }]);
  });

  it.each(APPS)('%s: every contract variable it reads is in the ConfigMap or a key of the Secret', (app) => {
    const missing = readBy[app].filter((name) => !(name in configMap) && !secretKeys.includes(name));
    expect({ app, missing }).toEqual({ app, missing: [] });
  });

  it('the ConfigMap sets LOG_FORMAT json, leaves TRUST_PROXY and REDIS_CLUSTER_NODES empty, and says when to set TRUST_PROXY', () => {
    expect(configMap).toMatchObject({ LOG_FORMAT: 'json', TRUST_PROXY: '', REDIS_CLUSTER_NODES: '' });
    // The comment block right above the key.
    const comment = /((?:^ *#.*\n)+) *TRUST_PROXY:/m.exec(read(join(K8S, 'base', 'configmap.yaml')))?.[1] ?? '';
    expect(comment).toMatch(/ingress controller.*CIDR/s);
  });
});

describe('infra/k8s/overlays/production', () => {
  // Behind the overlay's Ingress an empty TRUST_PROXY puts every client in one rate-limit
  // bucket, and no pod CIDR is right for every cluster: the value must be set, and until it
  // is, every process (the migration Job first) stops saying what to set.
  it.each(APPS)('%s stops at start naming TRUST_PROXY until the overlay\'s value is replaced', (app) => {
    const data = productionConfigMapData();
    const secrets = { ADMIN_API_KEY: 'k8s-test-admin-key-0123456789abcdefghij', KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
    const result = spawnSync(process.execPath, [join(ROOT, 'apps', app, 'dist', 'main.js'), 'migrate'], { env: { PATH: process.env.PATH ?? '', ...data, ...secrets, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).not.toBe(0);
    // One JSON log line (the ConfigMap's LOG_FORMAT json): the quotes come escaped.
    expect(`${result.stdout}${result.stderr}`).toContain(`invalid configuration:\\n  - TRUST_PROXY: \\"${data.TRUST_PROXY}\\" is not an IP address or CIDR`);
  });
});
