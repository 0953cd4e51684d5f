/**
 * `verifyGrantAssertion(assertion, ctx)`: a JWT used as an authorization grant
 * (RFC 7523 §2.1 and §3, with RFC 8725). The rules run cheapest first and nothing is
 * trusted before the signature; the `jti` is recorded last, so a rejected assertion
 * never uses it up. Failures are AssertionError: `invalid_grant`, `invalid_request` for
 * a missing or oversized parameter, `temporarily_unavailable` when a dependency fails.
 */
import { toAssertionError } from './assertion-kind';
import { nowInSeconds } from './clock';
import { AssertionError } from './errors';
import { checkAlgorithmAllowed } from './rules/check-algorithm';
import { checkGrantAudience } from './rules/check-audience';
import { checkCondition } from './rules/check-condition';
import { checkIssuerMatches, requireIssuer } from './rules/check-issuer';
import { checkJti } from './rules/check-jti';
import { checkLifetime } from './rules/check-lifetime';
import { checkPolicyTimes } from './rules/check-policy';
import { checkSubjectAllowed, resolveGrantSubject } from './rules/check-subject';
import { checkTimeClaims } from './rules/check-time-claims';
import { lookUpParty } from './rules/look-up-party';
import { readAssertion } from './rules/read-assertion';
import { recordJti } from './rules/record-jti';
import { selectCandidateKeys } from './rules/select-candidate-keys';
import { verifySignature } from './rules/verify-signature';
import { keepingVerifiedFacts, verifiedAssertion, verifiedFacts } from './verified-facts';
import type { GrantVerificationContext, TrustedIssuerPolicy, VerifiedAssertion } from './types';

export async function verifyGrantAssertion(assertion: unknown, ctx: GrantVerificationContext): Promise<VerifiedAssertion> {
  try {
    return await runGrantRules(assertion, ctx);
  } catch (error) {
    throw toAssertionError('grant', error);
  }
}

async function runGrantRules(assertion: unknown, ctx: GrantVerificationContext): Promise<VerifiedAssertion> {
  const { parts, header, claims, checkedHeader } = readAssertion(assertion, 'grant');
  const issuer = requireIssuer(claims, 'grant');
  const policy = await findTrustedIssuer(ctx, issuer);
  checkIssuerMatches(issuer, policy.issuer, 'grant');
  checkPolicyTimes(policy);
  checkAlgorithmAllowed(checkedHeader.alg, policy.allowedAlgorithms, 'asymmetric', 'grant');
  const candidates = await selectCandidateKeys(policy.keys, checkedHeader, 'grant');
  const key = verifySignature(parts, checkedHeader.alg, candidates, 'grant');
  const kid = checkedHeader.kid ?? key.kid;
  return keepingVerifiedFacts('grant', verifiedFacts(issuer, claims, kid, policy.subjectFromIssuer === true ? issuer : undefined), async () => {
    checkGrantAudience(claims, ctx.audience);
    const now = nowInSeconds(ctx);
    const times = checkTimeClaims(claims, now, policy.clockSkewSeconds, 'grant');
    checkLifetime(times, now, policy.maxLifetimeSeconds, 'grant');
    const subject = resolveGrantSubject(claims, issuer, policy.subjectFromIssuer);
    checkSubjectAllowed(subject, policy.subjects, 'grant');
    checkCondition(policy.condition, claims);
    const jti = checkJti(claims, policy.requireJti, 'grant');
    // CONTRACT.md: a `jti` that is present is used up even where the issuer does not require one.
    if (jti !== undefined) await recordJti(ctx.replayGuard, policy.replayNamespace, jti, times, policy, 'grant');
    return verifiedAssertion({ header, claims }, { issuer, subject, expiresAt: times.exp, jti, kid });
  });
}

async function findTrustedIssuer(ctx: GrantVerificationContext, issuer: string): Promise<TrustedIssuerPolicy> {
  const policy = await lookUpParty(() => ctx.findIssuer(issuer), 'The trusted issuers cannot be read; try again later');
  if (policy === undefined) throw new AssertionError('invalid_grant', 'issuer_unknown', 'The assertion issuer is not trusted');
  return policy;
}
