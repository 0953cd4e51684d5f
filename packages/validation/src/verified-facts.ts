/**
 * What an assertion showed once its signature verified (CONTRACT.md "Audit API": a failure
 * event names the `issuer`, `subject`, `kid` and `jti` of a verified assertion). A rule that
 * refuses the assertion after the signature leaves with these facts on its AssertionError;
 * before the signature, nothing the assertion says is recorded as fact.
 */
import type { JWTHeaderParameters } from 'jose';
import { toAssertionError, type AssertionKind } from './assertion-kind';
import { MAX_JTI_LENGTH } from './limits';
import type { VerifiedAssertion, VerifiedFacts } from './types';

/** `subjectWithoutSub`: what an assertion without `sub` stands for (`subject_from_issuer`: its `iss`). */
export function verifiedFacts(issuer: string, claims: Record<string, unknown>, kid: string | undefined, subjectWithoutSub?: string): VerifiedFacts {
  const { sub, jti } = claims;
  const subject = sub === undefined ? subjectWithoutSub : sub;
  return {
    issuer,
    ...(typeof subject === 'string' && subject !== '' && { subject }),
    ...(kid !== undefined && { kid }),
    ...(typeof jti === 'string' && jti !== '' && jti.length <= MAX_JTI_LENGTH && { jti }),
  };
}

/** Runs the rules that follow the signature; a refusal leaves carrying the verified facts. */
export async function keepingVerifiedFacts<T>(kind: AssertionKind, facts: VerifiedFacts, rules: () => Promise<T>): Promise<T> {
  try {
    return await rules();
  } catch (thrown) {
    const error = toAssertionError(kind, thrown);
    error.verified = facts;
    throw error;
  }
}

/** The answer of a verification once every rule passed: the assertion and what it established. */
export function verifiedAssertion(
  assertion: { header: Record<string, unknown>; claims: Record<string, unknown> },
  established: { issuer: string; subject: string; expiresAt: number; jti: string | undefined; kid: string | undefined },
): VerifiedAssertion {
  const { issuer, subject, expiresAt, jti, kid } = established;
  return {
    header: assertion.header as JWTHeaderParameters,
    claims: assertion.claims,
    issuer,
    subject,
    expiresAt,
    ...(jti !== undefined && { jti }),
    ...(kid !== undefined && { kid }),
  };
}
