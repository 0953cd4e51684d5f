/**
 * `verifyGrantAssertion(assertion, ctx)`: a JWT used as an authorization grant
 * (RFC 7523 §2.1 and §3, with RFC 8725), through the one issuer-token rule sequence
 * (verify-issuer-token.ts). What makes it a grant: `aud` names this server (its issuer
 * identifier or token endpoint), `sub` is one of the issuer's `subjects` and the issuer's
 * `condition` holds, the `jti` is required per `requireJti` and single-use whenever
 * present. Failures are AssertionError: `invalid_grant`, `invalid_request` for a missing
 * or oversized parameter, `temporarily_unavailable` when a dependency fails.
 * `readGrantAssertion` reads it ahead, for a caller that looks at its claims first.
 */
import { checkGrantAudience } from './rules/check-audience';
import { checkCondition } from './rules/check-condition';
import { checkSubjectAllowed, resolveIssuerTokenSubject } from './rules/check-subject';
import { AssertionReading } from './rules/read-assertion';
import { verifyIssuerToken, type IssuerTokenUse } from './verify-issuer-token';
import type { GrantVerificationContext, TrustedIssuerPolicy, VerifiedAssertion } from './types';

/** The issuer's subject rules, shared by grants and token-exchange subject tokens. */
export function resolveAcceptedSubject(kind: 'grant' | 'subject_token') {
  return (claims: Record<string, unknown>, issuer: string, policy: TrustedIssuerPolicy): string => {
    const subject = resolveIssuerTokenSubject(claims, issuer, policy.subjectFromIssuer, kind);
    checkSubjectAllowed(subject, policy.subjects, kind);
    checkCondition(policy.condition, claims, kind);
    return subject;
  };
}

/**
 * The grant assertion read once: its unverified claims now, and the same reading for
 * `verifyGrantAssertion`, which then neither splits nor decodes it again.
 */
export function readGrantAssertion(assertion: unknown): AssertionReading {
  return AssertionReading.of(assertion, 'grant');
}

/** `assertion`: the parameter as received, or its `readGrantAssertion` reading (the same rules, in the same order). */
export function verifyGrantAssertion(assertion: unknown, ctx: GrantVerificationContext): Promise<VerifiedAssertion> {
  const use: IssuerTokenUse = {
    kind: 'grant',
    checkAudience: (claims) => checkGrantAudience(claims, ctx.audience),
    resolveSubject: resolveAcceptedSubject('grant'),
    // CONTRACT.md: a `jti` that is present is used up even where the issuer does not require one.
    jti: (policy) => ({ required: policy.requireJti, replayNamespace: policy.replayNamespace }),
  };
  return verifyIssuerToken(assertion, ctx, use);
}
