/**
 * infra/k8s/base: every manifest parses, the kustomization lists exactly the files
 * present, and the promises of the deployment hold (probes, non-root, read-only root
 * filesystem, resources, HPA and PDB on token-service, secrets from the Secret).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

const BASE = resolve(__dirname, '..', '..', '..', 'infra', 'k8s', 'base');

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
    const pod = find('Job', 'trust-broker-migrate')!.spec!.template.spec;
    const order = [...pod.initContainers, ...pod.containers].map((container: { name: string; command: string[] }) => `${container.name}:${container.command.join(' ')}`);
    expect(order).toEqual(['issuer-registry:node dist/main.js migrate', 'token-service:node dist/main.js migrate', 'audit-worker:node dist/main.js migrate']);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  it('secrets live in the Secret, settings in the ConfigMap, private-network fetches off', () => {
    const secret = find('Secret', 'trust-broker-secrets')!;
    expect(Object.keys(secret.stringData ?? {}).sort()).toEqual(['ADMIN_API_KEY', 'DATABASE_URL', 'KEY_ENCRYPTION_KEY', 'REDIS_URL']);
    const config = find('ConfigMap', 'trust-broker-config')!;
    expect(config.data).toMatchObject({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false', CLIENT_ASSERTION_AUDIENCE_COMPAT: 'false' });
    for (const name of Object.keys(secret.stringData ?? {})) expect(config.data).not.toHaveProperty(name);
  });
});
