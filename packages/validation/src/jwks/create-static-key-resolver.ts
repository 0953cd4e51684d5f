/**
 * `createStaticKeyResolver(keys)`: a KeyResolver over ONE party's imported keys, indexed
 * once. With a `kid`: the keys with that `kid` (else the party's kid-less keys), or
 * `{ unknownKid: true }` so the caller can refresh; without: every key that fits `alg`.
 */
import { keyFitsAlgorithm } from '../algorithms';
import type { CandidateKey, KeyResolver } from '../types';

export function createStaticKeyResolver(keys: readonly CandidateKey[]): KeyResolver {
  const byKid = new Map<string, CandidateKey[]>();
  const withoutKid: CandidateKey[] = [];
  for (const key of keys) {
    if (key.kid === undefined) {
      withoutKid.push(key);
      continue;
    }
    const list = byKid.get(key.kid) ?? [];
    list.push(key);
    byKid.set(key.kid, list);
  }
  const all = [...keys];
  return {
    resolve({ alg, kid }) {
      if (kid === undefined) return all.filter((key) => keyFitsAlgorithm(key, alg));
      const named = byKid.get(kid) ?? withoutKid;
      return named.length > 0 ? named : { unknownKid: true };
    },
  };
}
