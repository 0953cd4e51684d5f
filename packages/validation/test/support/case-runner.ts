/**
 * Builds one assertion from a table row (header and claims merged over defaults, a
 * value of `undefined` removes a member) and signs it with a real key.
 */
import type { OAuthErrorCode, ReasonCode } from '../../src/index';
import type { Keys } from './fixtures';
import { signCompact, type SigningKey } from './sign-compact';

export type Members = Record<string, unknown>;

export type Outcome = { ok: true } | { error: OAuthErrorCode; reason: ReasonCode; kid?: string };

export interface AssertionSpec {
  header?: Members;
  claims?: Members;
  /** The key that signs; defaults by `alg`. */
  signWith?: (keys: Keys) => SigningKey | undefined;
  /** Replaces the whole assertion (shape tests). */
  raw?: (keys: Keys, sign: (header: Members, claims: Members) => string) => unknown;
  /** Edits the signed compact JWS (tampering). */
  transform?: (compact: string) => string;
}

export function merge(base: Members, overrides: Members | undefined): Members {
  const merged: Members = { ...base };
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

export function buildAssertion(
  spec: AssertionSpec,
  keys: Keys,
  defaults: { header: Members; claims: Members; keyFor: (alg: string, keys: Keys) => SigningKey | undefined },
): unknown {
  const sign = (header: Members, claims: Members): string => {
    const alg = String(header.alg);
    const key = spec.signWith ? spec.signWith(keys) : defaults.keyFor(alg, keys);
    return signCompact(alg, JSON.stringify(header), JSON.stringify(claims), key);
  };
  if (spec.raw) return spec.raw(keys, (header, claims) => sign(merge(defaults.header, header), merge(defaults.claims, claims)));
  const compact = sign(merge(defaults.header, spec.header), merge(defaults.claims, spec.claims));
  return spec.transform ? spec.transform(compact) : compact;
}
