/** The production overlay of infra/k8s as files: its ConfigMap patch applied to the base ConfigMap, without kustomize. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const K8S = resolve(__dirname, '..', '..', '..', 'infra', 'k8s');
export const PRODUCTION_OVERLAY = join(K8S, 'overlays', 'production');

interface PatchOp {
  op: string;
  path: string;
  value: string;
}

/** The overlay's JSON patch operations on the ConfigMap `trust-broker-config`, in its order. */
export function productionConfigMapPatch(): PatchOp[] {
  const kustomization = parse(readFileSync(join(PRODUCTION_OVERLAY, 'kustomization.yaml'), 'utf8')) as { patches: Array<{ target: { kind: string; name: string }; patch: string }> };
  const patch = kustomization.patches.find(({ target }) => target.kind === 'ConfigMap' && target.name === 'trust-broker-config');
  return patch ? (parse(patch.patch) as PatchOp[]) : [];
}

/** The data of the ConfigMap the production overlay renders: the base's, with the overlay's `replace` operations. */
export function productionConfigMapData(): Record<string, string> {
  const base = parseAllDocuments(readFileSync(join(K8S, 'base', 'configmap.yaml'), 'utf8'))[0]!.toJS() as { data: Record<string, string> };
  const data = { ...base.data };
  for (const { op, path, value } of productionConfigMapPatch()) {
    if (op !== 'replace' || !path.startsWith('/data/')) throw new Error(`the overlay's ConfigMap patch has an operation this reader does not apply: ${op} ${path}`);
    data[path.slice('/data/'.length)] = value;
  }
  return data;
}
