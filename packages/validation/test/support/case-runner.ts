/**
 * Builds one assertion from a table row (header and claims merged over defaults, a
 * value of `undefined` removes a member) and signs it with a real key; checks what the
 * verifier made of it against the row.
 */
import { AssertionError, type OAuthErrorCode, type ReasonCode } from '../../src/index';
import type { Keys, MapReplayGuard } from './fixtures';
import { signCompact, type SigningKey } from './sign-compact';

export type Members = Record<string, unknown>;

export type Outcome = { ok: true } | Refusal;
export type Refusal = { error: OAuthErrorCode; reason: ReasonCode; kid?: string };

/** What a verification gave, and how many calls it made to the replay guard. */
export type Verification<T> = ({ verified: T } | { error: unknown }) & { guardCalls: number };

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

/** Runs `verify`, keeping its refusal as a value, and counts the calls it made to `guard`. */
export async function runVerification<T>(guard: MapReplayGuard, verify: () => Promise<T>): Promise<Verification<T>> {
  const callsBefore = guard.calls.length;
  const outcome = await verify().then(
    (verified): { verified: T } => ({ verified }),
    (error: unknown): { error: unknown } => ({ error }),
  );
  return { ...outcome, guardCalls: guard.calls.length - callsBefore };
}

/** The verified value; a refusal is thrown as it is, so that the test shows its reason. */
export function expectVerified<T>(outcome: Verification<T>): T {
  if ('error' in outcome) throw outcome.error;
  return outcome.verified;
}

/** The row's refusal: an AssertionError with its code, reason and kid; only a replayed jti may have reached the replay guard. */
export function expectRefusal(outcome: Verification<unknown>, expected: Refusal): AssertionError {
  expect('error' in outcome).toBe(true);
  const error = (outcome as { error: unknown }).error;
  expect(error).toBeInstanceOf(AssertionError);
  expect(error).toMatchObject({ error: expected.error, reason: expected.reason });
  expect((error as AssertionError).kid).toBe(expected.kid);
  if (expected.reason !== 'jti_replayed') expect(outcome.guardCalls).toBe(0);
  return error as AssertionError;
}

/** A row's `prepare`: marks the assertion's jti used in `namespace`, as if it had been presented before. */
export function replayedIn(namespace: string): (guard: MapReplayGuard, assertion: unknown) => Promise<void> {
  return async (guard, assertion) => {
    const claims = JSON.parse(Buffer.from(String(assertion).split('.')[1] as string, 'base64url').toString()) as { jti: string; exp: number };
    await guard.markUsed(namespace, claims.jti, claims.exp + 30);
  };
}
