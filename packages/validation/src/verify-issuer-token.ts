/**
 * The one rule sequence for a JWT that a trusted issuer signed, whatever it is used for
 * (ARCHITECTURE.md: one rule engine, the uses differ only in their policy): an
 * authorization grant (RFC 7523 §2.1), a token-exchange subject or actor token
 * (RFC 8693 §2.1), a federated client assertion (CONTRACT.md). The order is the grant's:
 * cheap checks first, nothing trusted before the signature, the `jti` recorded last so a
 * refused token never uses it up. A `IssuerTokenUse` says only what differs: the OAuth
 * error, the `aud` rule, who the subject may be, and whether the `jti` is single-use.
 */
import type { AssertionKind } from './assertion-kind';
import { reject, toAssertionError } from './assertion-kind';
import { nowInSeconds } from './clock';
import { checkAlgorithmAllowed } from './rules/check-algorithm';
import { checkIssuerMatches, requireIssuer } from './rules/check-issuer';
import { checkJti } from './rules/check-jti';
import { checkLifetime } from './rules/check-lifetime';
import { checkPolicyTimes } from './rules/check-policy';
import { checkNotRevoked } from './rules/check-revocation';
import { checkTimeClaims } from './rules/check-time-claims';
import { lookUpParty } from './rules/look-up-party';
import { AssertionReading, readAssertion } from './rules/read-assertion';
import { recordJti } from './rules/record-jti';
import { selectCandidateKeys } from './rules/select-candidate-keys';
import { verifySignature } from './rules/verify-signature';
import { keepingVerifiedFacts, verifiedAssertion, verifiedFacts } from './verified-facts';
import type { ReplayGuard, TrustedIssuerPolicy, VerifiedAssertion } from './types';

/** What the `jti` of one use must be. */
export interface JtiRule {
  required: boolean;
  /** Where a present `jti` is recorded once; undefined: the token is reusable until it expires. */
  replayNamespace?: string;
  /** Admin revocations by `jti` or `kid`. */
  isRevoked?: (assertion: { jti?: string; kid?: string }) => boolean;
}

/** How one use of an issuer's token differs from the others. */
export interface IssuerTokenUse {
  kind: AssertionKind;
  /** Refuses, before any lookup, an `iss` this use can never accept (a federated client's credentials name its issuers). */
  admitIssuer?(iss: string): void;
  /** The `aud` rule. */
  checkAudience(claims: Record<string, unknown>, policy: TrustedIssuerPolicy): void;
  /** The subject the token stands for, once its claims passed the use's subject rules. */
  resolveSubject(claims: Record<string, unknown>, issuer: string, policy: TrustedIssuerPolicy): string;
  jti(policy: TrustedIssuerPolicy): JtiRule;
}

export interface IssuerTokenContext {
  replayGuard?: ReplayGuard;
  now?: () => number;
  findIssuer(iss: string): TrustedIssuerPolicy | undefined | Promise<TrustedIssuerPolicy | undefined>;
}

export async function verifyIssuerToken(token: unknown, ctx: IssuerTokenContext, use: IssuerTokenUse): Promise<VerifiedAssertion> {
  try {
    return await runIssuerTokenRules(token, ctx, use);
  } catch (error) {
    throw toAssertionError(use.kind, error);
  }
}

async function runIssuerTokenRules(token: unknown, ctx: IssuerTokenContext, use: IssuerTokenUse): Promise<VerifiedAssertion> {
  const { kind } = use;
  const { parts, header, claims, checkedHeader } = token instanceof AssertionReading ? token.take(kind) : readAssertion(token, kind);
  const issuer = requireIssuer(claims, kind);
  use.admitIssuer?.(issuer);
  const policy = await findTrustedIssuer(ctx, issuer, kind);
  checkIssuerMatches(issuer, policy.issuer, kind);
  checkPolicyTimes(policy);
  checkAlgorithmAllowed(checkedHeader.alg, policy.allowedAlgorithms, 'asymmetric', kind);
  const candidates = await selectCandidateKeys(policy.keys, checkedHeader, kind);
  const key = verifySignature(parts, checkedHeader.alg, candidates, kind);
  const kid = checkedHeader.kid ?? key.kid;
  return keepingVerifiedFacts(kind, verifiedFacts(issuer, claims, kid, policy.subjectFromIssuer === true ? issuer : undefined), async () => {
    use.checkAudience(claims, policy);
    const now = nowInSeconds(ctx);
    const times = checkTimeClaims(claims, now, policy.clockSkewSeconds, kind);
    checkLifetime(times, now, policy.maxLifetimeSeconds, kind);
    const subject = use.resolveSubject(claims, issuer, policy);
    const rule = use.jti(policy);
    const jti = checkJti(claims, rule.required, kind);
    if (rule.isRevoked !== undefined) checkNotRevoked(rule, jti, kid);
    if (jti !== undefined && rule.replayNamespace !== undefined) {
      if (ctx.replayGuard === undefined) throw new TypeError('A single-use token needs a replay guard');
      await recordJti(ctx.replayGuard, rule.replayNamespace, jti, times, policy, kind);
    }
    return verifiedAssertion({ header, claims }, { issuer, subject, expiresAt: times.exp, jti, kid });
  });
}

async function findTrustedIssuer(ctx: IssuerTokenContext, issuer: string, kind: AssertionKind): Promise<TrustedIssuerPolicy> {
  const policy = await lookUpParty(() => ctx.findIssuer(issuer), 'The trusted issuers cannot be read; try again later');
  if (policy === undefined) throw reject(kind, 'issuer_unknown', 'The assertion issuer is not trusted');
  return policy;
}
