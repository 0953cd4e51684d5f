/**
 * `verifyClientAssertion(assertion, ctx)`: a JWT used for client authentication,
 * `private_key_jwt` or `client_secret_jwt` (RFC 7523 §2.2 and §3, OIDC Core §9, the
 * rfc7523bis audience rule). `iss` = `sub` = `client_id`; `aud` is exactly the broker's
 * issuer identifier. With `reuse` off the `jti` is single-use (recorded last); with it
 * on, the `jti` is optional and not consumed, and revocations still apply. Failures are
 * AssertionError: `invalid_client`, `invalid_request` for a missing or oversized
 * parameter, `temporarily_unavailable` when a dependency fails.
 */
import { toAssertionError } from './assertion-kind';
import { nowInSeconds } from './clock';
import { AssertionError } from './errors';
import { checkAlgorithmAllowed } from './rules/check-algorithm';
import { checkClientAudience } from './rules/check-audience';
import { checkClientIdentity, checkClientIdParameter } from './rules/check-client-identity';
import { requireIssuer } from './rules/check-issuer';
import { checkJti } from './rules/check-jti';
import { checkLifetime } from './rules/check-lifetime';
import { checkPolicyTimes } from './rules/check-policy';
import { checkNotRevoked } from './rules/check-revocation';
import { checkSecretLength } from './rules/check-secret-length';
import { requireSubject } from './rules/check-subject';
import { checkTimeClaims } from './rules/check-time-claims';
import { lookUpParty } from './rules/look-up-party';
import { readAssertion } from './rules/read-assertion';
import { recordJti } from './rules/record-jti';
import { selectCandidateKeys } from './rules/select-candidate-keys';
import { verifySignature } from './rules/verify-signature';
import { keepingVerifiedFacts, verifiedAssertion, verifiedFacts } from './verified-facts';
import type { ClientAssertionPolicy, ClientVerificationContext, VerifiedAssertion } from './types';

const JWT_METHODS = new Set<string>(['private_key_jwt', 'client_secret_jwt']);

export async function verifyClientAssertion(assertion: unknown, ctx: ClientVerificationContext): Promise<VerifiedAssertion> {
  try {
    return await runClientRules(assertion, ctx);
  } catch (error) {
    throw toAssertionError('client', error);
  }
}

async function runClientRules(assertion: unknown, ctx: ClientVerificationContext): Promise<VerifiedAssertion> {
  const { parts, header, claims, checkedHeader } = readAssertion(assertion, 'client');
  const issuer = requireIssuer(claims, 'client');
  const subject = requireSubject(claims, 'client');
  checkClientIdentity(issuer, subject);
  const policy = await findClient(ctx, subject);
  checkPolicyTimes(policy);
  const hmac = policy.method === 'client_secret_jwt';
  checkAlgorithmAllowed(checkedHeader.alg, policy.allowedAlgorithms, hmac ? 'hmac' : 'asymmetric', 'client');
  const candidates = await selectCandidateKeys(policy.keys, checkedHeader, 'client');
  if (hmac) checkSecretLength(candidates.keys, checkedHeader.alg);
  const key = verifySignature(parts, checkedHeader.alg, candidates, 'client');
  const kid = checkedHeader.kid ?? key.kid;
  return keepingVerifiedFacts('client', verifiedFacts(issuer, claims, kid), async () => {
    checkClientIdParameter(subject, ctx.clientIdParameter);
    checkClientAudience(claims, ctx.audience, { acceptEndpointAudience: ctx.acceptEndpointAudience, endpointUrl: ctx.endpointUrl });
    const now = nowInSeconds(ctx);
    const times = checkTimeClaims(claims, now, policy.clockSkewSeconds, 'client');
    checkLifetime(times, now, policy.maxLifetimeSeconds, 'client');
    const jti = checkJti(claims, !policy.reuse, 'client');
    checkNotRevoked(policy, jti, kid);
    if (!policy.reuse && jti !== undefined) await recordJti(ctx.replayGuard, policy.replayNamespace, jti, times, policy, 'client');
    return verifiedAssertion({ header, claims }, { issuer, subject, expiresAt: times.exp, jti, kid });
  });
}

async function findClient(ctx: ClientVerificationContext, clientId: string): Promise<ClientAssertionPolicy> {
  const policy = await lookUpParty(() => ctx.findClient(clientId), 'The clients cannot be read; try again later');
  // The policy must be the one registered under exactly this client_id, with a JWT method.
  if (policy === undefined || policy.clientId !== clientId || !JWT_METHODS.has(policy.method)) {
    throw new AssertionError('invalid_client', 'client_unknown', 'The client is not registered for JWT authentication');
  }
  return policy;
}
