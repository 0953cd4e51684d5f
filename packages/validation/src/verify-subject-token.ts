/**
 * `verifySubjectToken(token, ctx)`: a trusted issuer's JWT presented as a token-exchange
 * `subject_token` or `actor_token` of type `jwt` or `id_token` (RFC 8693 §2.1, §3;
 * CONTRACT.md "Token exchange"). Every rule of the grant (verify-grant-assertion.ts), in
 * the same sequence, but two: `aud` must contain one of the issuer's `accepted_audiences`
 * (an ID token's `aud` is the client id at the partner's IdP), and the token is not
 * single-use (it may be exchanged again until it expires; `require_jti` does not apply).
 * Failures are AssertionError: `invalid_request` (RFC 8693 §2.2.2), `temporarily_unavailable`
 * when a dependency fails.
 */
import { checkAcceptedAudience } from './rules/check-audience';
import { resolveAcceptedSubject } from './verify-grant-assertion';
import { verifyIssuerToken, type IssuerTokenUse } from './verify-issuer-token';
import type { SubjectTokenVerificationContext, VerifiedAssertion } from './types';

const SUBJECT_TOKEN_USE: IssuerTokenUse = {
  kind: 'subject_token',
  checkAudience: (claims, policy) => checkAcceptedAudience(claims, policy.acceptedAudiences, 'subject_token'),
  resolveSubject: resolveAcceptedSubject('subject_token'),
  jti: () => ({ required: false }),
};

export function verifySubjectToken(token: unknown, ctx: SubjectTokenVerificationContext): Promise<VerifiedAssertion> {
  return verifyIssuerToken(token, ctx, SUBJECT_TOKEN_USE);
}
