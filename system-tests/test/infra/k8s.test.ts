/**
 * infra/k8s: every manifest of the base parses, the kustomization lists exactly the files
 * present, and the promises of the deployment hold (probes, non-root, read-only root
 * filesystem, resources, HPA and PDB on token-service, secrets from a Secret that is not
 * in the base, NetworkPolicies). Then `kubectl kustomize` (or `kustomize build`) renders
 * the base, the production overlay and the base with the scale-out component, and the
 * rendered objects are checked: a migration Job named per image tag, the policies, no
 * Secret, the cluster settings. kubeconform is in neither the npm
 * registry nor Debian's packages, so no schema validation runs here.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { commonEnvShape } from '@trust-broker/service-kit/config';
import { K8S, PRODUCTION_OVERLAY, productionConfigMapData } from '../support/k8s-overlay';

const BASE = join(K8S, 'base');

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  resources?: string[];
}

function load(file: string): Manifest[] {
  const documents = parseAllDocuments(readFileSync(join(BASE, file), 'utf8'));
  return (Array.isArray(documents) ? documents : [documents]).map((document) => {
    expect({ file, errors: document.errors }).toEqual({ file, errors: [] });
    return document.toJS() as Manifest;
  });
}

const kustomization = load('kustomization.yaml')[0]!;
// A kustomize that knows `labels` and `replacements` (v4.5+): kubectl 1.24+ or kustomize.
function findKustomize(): { command: string; args: string[] } | undefined {
  for (const candidate of [{ command: 'kubectl', args: ['kustomize'] }, { command: 'kustomize', args: ['build'] }]) {
    const version = spawnSync(candidate.command, candidate.command === 'kubectl' ? ['version', '--client'] : ['version'], { encoding: 'utf8' });
    const found = /(?:Kustomize Version: |kustomize\/)?v(\d+)\.(\d+)/.exec(candidate.command === 'kubectl' ? /Kustomize Version: (v\S+)/.exec(version.stdout ?? '')?.[1] ?? '' : `${version.stdout}`);
    if (version.status === 0 && found && (Number(found[1]) > 4 || (Number(found[1]) === 4 && Number(found[2]) >= 5))) return candidate;
  }
  return undefined;
}
const kustomize = findKustomize();
if (!kustomize) process.stderr.write('[k8s test] no kubectl 1.24+ or kustomize v4.5+ here: the manifests are checked as files only, nothing is rendered\n');

function render(dir: string): Manifest[] {
  const result = spawnSync(kustomize!.command, [...kustomize!.args, dir], { encoding: 'utf8' });
  expect({ dir, status: result.status, stderr: result.stderr }).toEqual({ dir, status: 0, stderr: '' });
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as Manifest);
}
const manifests = (kustomization.resources ?? []).flatMap((file) => load(file));
const find = (kind: string, name: string) => manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
const APPS = { 'token-service': 8080, 'issuer-registry': 8081, 'audit-worker': 8082 } as const;

describe('infra/k8s/base', () => {
  it('the kustomization lists every manifest file of the folder', () => {
    const files = readdirSync(BASE).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect([...(kustomization.resources ?? [])].sort()).toEqual(files.sort());
  });

  it.each(Object.entries(APPS))('%s: Deployment + Service with probes, non-root, read-only root, resources', (app, port) => {
    const deployment = find('Deployment', app)!;
    expect(deployment).toBeDefined();
    const pod = deployment.spec!.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    const [container] = pod.containers;
    expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources.requests).toHaveProperty('cpu');
    expect(container.resources.limits).toHaveProperty('memory');
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'trust-broker-config' } }, { secretRef: { name: 'trust-broker-secrets' } }]);
    expect(deployment.spec!.selector.matchLabels).toEqual(pod.metadata?.labels ?? deployment.spec!.template.metadata.labels);
    const service = find('Service', app)!;
    expect(service.spec!.selector).toEqual(deployment.spec!.selector.matchLabels);
    expect(service.spec!.ports).toEqual([{ name: 'http', port, targetPort: 'http' }]);
  });

  it('token-service scales on CPU and keeps two pods through disruptions', () => {
    const hpa = find('HorizontalPodAutoscaler', 'token-service')!;
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'token-service' });
    expect(hpa.spec!.metrics[0].resource.name).toBe('cpu');
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = find('PodDisruptionBudget', 'token-service')!;
    expect(pdb.spec!.selector.matchLabels).toEqual(find('Deployment', 'token-service')!.spec!.selector.matchLabels);
    expect(pdb.spec!.minAvailable).toBeLessThan(hpa.spec!.minReplicas);
  });

  it('the migration Job migrates the registry first, then token-service, then audit-worker', () => {
    const pod = find('Job', 'trust-broker-migrate-TAG')!.spec!.template.spec;
    const order = [...pod.initContainers, ...pod.containers].map((container: { name: string; command: string[] }) => `${container.name}:${container.command.join(' ')}`);
    expect(order).toEqual(['issuer-registry:node dist/main.js migrate', 'token-service:node dist/main.js migrate', 'audit-worker:node dist/main.js migrate']);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  it('holds no Secret: the services read trust-broker-secrets, made from a secret manager', () => {
    expect(manifests.filter((manifest) => manifest.kind === 'Secret')).toEqual([]);
    const example = parseAllDocuments(readFileSync(join(K8S, 'secret.example.yaml'), 'utf8'))[0]!.toJS() as Manifest;
    expect(example.metadata.name).toBe('trust-broker-secrets');
    expect(Object.keys(example.stringData ?? {}).sort()).toEqual(['ADMIN_API_KEY', 'DATABASE_URL', 'KEY_ENCRYPTION_KEY', 'REDIS_URL']);
    const config = find('ConfigMap', 'trust-broker-config')!;
    expect(config.data).toMatchObject({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false', CLIENT_ASSERTION_AUDIENCE_COMPAT: 'false' });
    for (const name of Object.keys(example.stringData ?? {})) expect(config.data).not.toHaveProperty(name);
  });

  it('liveness and startup never depend on a dependency; readiness is /readyz', () => {
    for (const app of Object.keys(APPS)) {
      const [container] = find('Deployment', app)!.spec!.template.spec.containers;
      expect(container.startupProbe.httpGet.path).toBe('/healthz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    }
  });

  it('NetworkPolicies: deny by default; token-service from anywhere; registry and audit API only from the admin namespace, audit API also from the registry', () => {
    const policies = manifests.filter((manifest) => manifest.kind === 'NetworkPolicy');
    expect(find('NetworkPolicy', 'default-deny-ingress')!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(find('NetworkPolicy', 'token-service-public')!.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'token-service' } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 'http', protocol: 'TCP' }] }],
    });
    for (const app of ['issuer-registry', 'audit-worker']) {
      const policy = find('NetworkPolicy', `${app}-from-admin`)!;
      expect(policy.spec!.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': app });
      expect(policy.spec!.ingress).toEqual([
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'trust-broker-admin' } } }], ports: [{ port: 'http', protocol: 'TCP' }] },
      ]);
    }
    // The console's audit relay: the registry's pods reach the audit-worker Service that AUDIT_API_URL names.
    expect(find('NetworkPolicy', 'audit-worker-from-registry')!.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'audit-worker' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'issuer-registry' } } }], ports: [{ port: 'http', protocol: 'TCP' }] }],
    });
    expect(find('ConfigMap', 'trust-broker-config')!.data!.AUDIT_API_URL).toBe(`http://audit-worker:${find('Service', 'audit-worker')!.spec!.ports[0].port}`);
    // Nothing else is let in: every other policy selects one of the three services.
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(['audit-worker-from-admin', 'audit-worker-from-registry', 'default-deny-ingress', 'issuer-registry-from-admin', 'token-service-public']);
  });
});

describe('infra/k8s/components/scale-out', () => {
  const component = parseAllDocuments(readFileSync(join(K8S, 'components', 'scale-out', 'kustomization.yaml'), 'utf8'))[0]!.toJS() as {
    kind: string;
    patches: Array<{ target: { kind: string; name: string }; patch: string }>;
  };

  it('a Component that adds the cluster seeds and WAIT to the base ConfigMap, values the services accept', () => {
    expect(component.kind).toBe('Component');
    const [patch] = component.patches;
    expect(component.patches).toHaveLength(1);
    expect(find(patch!.target.kind, patch!.target.name)).toBeDefined();
    const ops = parseAllDocuments(patch!.patch)[0]!.toJS() as Array<{ op: string; path: string; value: string }>;
    const added = Object.fromEntries(ops.map((op) => [op.path.replace('/data/', ''), op.value]));
    expect(Object.keys(added).sort()).toEqual(['REDIS_CLUSTER_NODES', 'REDIS_WAIT_REPLICAS', 'REDIS_WAIT_TIMEOUT_MS']);
    // CONTRACT.md: comma-separated host:port seeds.
    expect(added.REDIS_CLUSTER_NODES).toMatch(/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/);
    expect(added).toMatchObject({ REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: expect.stringMatching(/^\d+$/) });
    const base = find('ConfigMap', 'trust-broker-config')!.data!;
    // The services tag the keys themselves: the prefix stays plain.
    expect(base.REDIS_PREFIX).toMatch(/^[A-Za-z0-9_.-]+$/);
  });
});

describe('infra/k8s/overlays/production', () => {
  it('behind its Ingress TRUST_PROXY has no default: the value it sets is refused by the setting every service parses, a CIDR is not', () => {
    const trustProxy = productionConfigMapData().TRUST_PROXY!;
    const refused = commonEnvShape.TRUST_PROXY.safeParse(trustProxy);
    expect(refused.error?.issues.map((issue) => issue.message)).toEqual([`"${trustProxy}" is not an IP address or CIDR (e.g. 10.0.0.7, 10.0.0.0/8, fd00::/8)`]);
    expect(commonEnvShape.TRUST_PROXY.safeParse('10.244.0.0/16')).toEqual({ success: true, data: ['10.244.0.0/16'] });
    // Empty would believe no X-Forwarded-For: behind the Ingress, one rate-limit bucket for every client.
    expect(trustProxy).not.toBe('');
    // The overlay says why where the value is set.
    const comment = /((?:^ *#.*\n)+) *- op: replace\n *path: \/data\/TRUST_PROXY\n/m.exec(readFileSync(join(PRODUCTION_OVERLAY, 'kustomization.yaml'), 'utf8'))?.[1] ?? '';
    expect(comment).toMatch(/Required.*CIDR/s);
  });
});

(kustomize ? describe : describe.skip)(`rendered by ${kustomize ? [kustomize.command, ...kustomize.args].join(' ') : 'kustomize (not installed here)'}`, () => {
  const jobNames = (objects: Manifest[]) => objects.filter((o) => o.kind === 'Job').map((o) => o.metadata.name);

  it('the base: the Job is named after the image tag, the policies and no Secret are there', () => {
    const objects = render(BASE);
    expect(jobNames(objects)).toEqual(['trust-broker-migrate-0.1.0']);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'NetworkPolicy')).toHaveLength(5);
    for (const o of objects.filter((o) => o.kind !== 'Namespace')) expect({ kind: o.kind, namespace: (o.metadata as { namespace?: string }).namespace }).toEqual({ kind: o.kind, namespace: 'trust-broker' });
  });

  it('the production overlay: its registry and tag everywhere, its issuer URL, an Ingress for token-service only, the admin namespace', () => {
    const objects = render(PRODUCTION_OVERLAY);
    const images = objects.flatMap((o) => [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])].map((c: { image: string }) => c.image));
    expect(images.length).toBe(6);
    for (const image of images) expect(image).toMatch(/^registry\.example\.com\/trust-broker\/(issuer-registry|token-service|audit-worker):0\.1\.0$/);
    expect(jobNames(objects)).toEqual(['trust-broker-migrate-0.1.0']);
    expect(objects.find((o) => o.kind === 'ConfigMap')!.data!.BROKER_ISSUER).toBe('https://auth.example.com');
    // What the file-level tests read as the overlay's settings is what kustomize renders (TRUST_PROXY's required value included).
    expect(objects.find((o) => o.kind === 'ConfigMap')!.data).toEqual(productionConfigMapData());
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    expect(ingresses.map((o) => o.spec!.rules[0].http.paths[0].backend.service.name)).toEqual(['token-service']);
    expect(ingresses[0]!.spec!.tls).toHaveLength(1);
    expect(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).sort()).toEqual(['trust-broker', 'trust-broker-admin']);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('the scale-out component on the base: the ConfigMap names the cluster and WAIT, the rest is unchanged', () => {
    const copy = mkdtempSync(join(tmpdir(), 'tb-k8s-'));
    cpSync(K8S, copy, { recursive: true });
    const overlay = join(copy, 'overlays', 'scale-out');
    mkdirSync(overlay);
    writeFileSync(join(overlay, 'kustomization.yaml'), 'resources: [../../base]\ncomponents: [../../components/scale-out]\n');
    const objects = render(overlay);
    const config = objects.find((o) => o.kind === 'ConfigMap')!.data!;
    expect(config).toMatchObject({ REDIS_CLUSTER_NODES: expect.stringMatching(/:6379$/), REDIS_WAIT_REPLICAS: '1', REDIS_PREFIX: 'tb' });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(render(BASE).map((o) => `${o.kind}/${o.metadata.name}`).sort());
  });

  it('a new release tag makes a new migration Job (apply never meets the old immutable one); the same tag the same Job', () => {
    const copy = mkdtempSync(join(tmpdir(), 'tb-k8s-'));
    cpSync(K8S, copy, { recursive: true });
    const overlay = join(copy, 'overlays', 'production', 'kustomization.yaml');
    writeFileSync(overlay, readFileSync(overlay, 'utf8').replaceAll('newTag: "0.1.0"', 'newTag: "0.2.0"'));
    const next = render(join(copy, 'overlays', 'production'));
    expect(jobNames(next)).toEqual(['trust-broker-migrate-0.2.0']);
    expect(jobNames(render(join(copy, 'overlays', 'production')))).toEqual(jobNames(next));
  });
});
