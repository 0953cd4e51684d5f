/**
 * The other uses of a trusted issuer's JWT, on the grant's one rule sequence
 * (verify-issuer-token.ts): a token-exchange subject or actor token (RFC 8693 §2.1,
 * CONTRACT.md "Token exchange") and a federated client assertion (CONTRACT.md "Federated
 * client authentication"). Tables of real signed tokens: the rules they share with the
 * grant give the same reason under their own OAuth error (`invalid_request`,
 * `invalid_client`), and the rules where they differ (audience, subject, jti) are
 * checked case by case.
 */
import {
  AssertionError,
  verifyFederatedClientAssertion,
  verifyGrantAssertion,
  verifySubjectToken,
  type FederatedClientPolicy,
  type FederatedClientVerificationContext,
  type SubjectTokenVerificationContext,
  type TrustedIssuerPolicy,
} from '../src/index';
import { buildAssertion, type AssertionSpec, type Members, type Outcome } from './support/case-runner';
import { BROKER, createParties, generateKeys, grantContext, ISSUER_A, ISSUER_B, MapReplayGuard, NOW, type Keys, type Parties } from './support/fixtures';
import type { SigningKey } from './support/sign-compact';

const STS_AUDIENCE = 'https://sts.broker.example';
const ID_TOKEN_AUDIENCE = 'partner-client-id-at-idp-a';

let parties: Parties;
let issuerA: TrustedIssuerPolicy;

beforeAll(async () => {
  parties = await createParties(generateKeys());
  issuerA = { ...parties.issuerA, acceptedAudiences: [STS_AUDIENCE, ID_TOKEN_AUDIENCE] };
});

function keyFor(alg: string, keys: Keys): SigningKey | undefined {
  if (alg === 'RS256') return keys.rsa1.privateKey;
  if (alg.startsWith('PS') || alg.startsWith('RS')) return keys.rsa2.privateKey;
  if (alg === 'EdDSA') return keys.ed.privateKey;
  return keys.ec.privateKey;
}

const defaults = () => ({
  header: { alg: 'ES256', kid: 'ec-1' },
  claims: { iss: ISSUER_A, sub: 'alice', aud: STS_AUDIENCE, iat: NOW, exp: NOW + 120, jti: 'jti-default' } as Members,
  keyFor,
});

interface UseCase extends AssertionSpec {
  name: string;
  policy?: Partial<TrustedIssuerPolicy>;
  /** The same row as a grant (aud the broker): what the grant answers, when the rule is shared. */
  expect: Outcome | { ok: true };
}

const refused = (error: 'invalid_request' | 'invalid_client', reason: Extract<Outcome, { reason: unknown }>['reason'], kid?: string): Outcome =>
  kid === undefined ? { error, reason } : { error, reason, kid };

function subjectContext(issuers: TrustedIssuerPolicy[], now = NOW): SubjectTokenVerificationContext {
  const byIss = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  return { now: () => now * 1000, findIssuer: (iss) => byIss.get(iss) };
}

async function outcomeOf(promise: Promise<unknown>): Promise<{ ok: true } | { error: AssertionError }> {
  try {
    await promise;
    return { ok: true };
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    return { error: error as AssertionError };
  }
}

function expectOutcome(actual: { ok: true } | { error: AssertionError }, expected: Outcome): void {
  if ('ok' in expected) {
    if ('error' in actual) throw actual.error;
    return;
  }
  expect('error' in actual).toBe(true);
  const { error } = actual as { error: AssertionError };
  expect({ error: error.error, reason: error.reason, kid: error.kid }).toEqual({ error: expected.error, reason: expected.reason, kid: expected.kid });
}

/**
 * Rules the subject token shares with the grant: the same row must give the same reason
 * as a grant (whose `aud` is the broker) and as a subject token (`aud` an accepted one).
 */
const SHARED_RULES: { name: string; spec: AssertionSpec; policy?: Partial<TrustedIssuerPolicy>; reason: Extract<Outcome, { reason: unknown }>['reason']; kid?: string }[] = [
  { name: 'alg none', spec: { header: { alg: 'none' } }, reason: 'alg_none' },
  { name: 'an algorithm outside the allowlist', spec: {}, policy: { allowedAlgorithms: ['RS256'] }, reason: 'alg_not_allowed' },
  { name: 'an embedded jwk header', spec: { header: { jku: 'https://attacker.example/jwks' } }, reason: 'embedded_key_header' },
  { name: 'typ at+jwt', spec: { header: { typ: 'at+jwt' } }, reason: 'typ_not_allowed' },
  { name: 'crit', spec: { header: { crit: ['exp'], exp: 1 } }, reason: 'crit_unsupported' },
  { name: 'an unknown kid', spec: { header: { kid: 'rotated' } }, reason: 'unknown_kid', kid: 'rotated' },
  { name: "the attacker's signature", spec: { signWith: (k) => k.attacker.privateKey }, reason: 'signature_invalid' },
  { name: 'an untrusted issuer', spec: { claims: { iss: 'https://evil.example' } }, reason: 'issuer_unknown' },
  { name: 'no iss', spec: { claims: { iss: undefined } }, reason: 'issuer_missing' },
  { name: 'expired beyond the skew', spec: { claims: { iat: NOW - 200, exp: NOW - 31 } }, reason: 'assertion_expired' },
  { name: 'not yet valid', spec: { claims: { nbf: NOW + 31 } }, reason: 'assertion_not_yet_valid' },
  { name: 'issued in the future', spec: { claims: { iat: NOW + 31, exp: NOW + 200 } }, reason: 'issued_in_future' },
  { name: 'no exp', spec: { claims: { exp: undefined } }, reason: 'expiry_missing' },
  { name: 'a lifetime over the maximum', spec: { claims: { iat: NOW, exp: NOW + 301 } }, reason: 'lifetime_exceeded' },
  { name: 'a sub outside subjects', spec: {}, policy: { subjects: ['bob'] }, reason: 'subject_not_allowed' },
  { name: 'no sub', spec: { claims: { sub: undefined } }, reason: 'subject_missing' },
  { name: 'a false condition', spec: { claims: { repository: 'evil/repo' } }, policy: { condition: "claims.repository == 'acme/api'" }, reason: 'condition_failed' },
  { name: 'a condition over a missing claim', spec: {}, policy: { condition: "claims.repository == 'acme/api'" }, reason: 'condition_error' },
  { name: 'a malformed jti', spec: { claims: { jti: 7 } }, reason: 'jti_invalid' },
];

describe('verifySubjectToken: the grant rules, same reasons, as invalid_request', () => {
  it.each(SHARED_RULES)('refuses $name, as the grant does', async ({ spec, policy, reason, kid }) => {
    const issuer = { ...issuerA, ...policy };
    const asSubject = buildAssertion(spec, parties.keys, defaults());
    const asGrant = buildAssertion({ ...spec, claims: { aud: BROKER, ...spec.claims } }, parties.keys, defaults());
    const guard = new MapReplayGuard(() => NOW);
    expectOutcome(await outcomeOf(verifyGrantAssertion(asGrant, grantContext([issuer, parties.issuerB], guard))), { error: 'invalid_grant', reason, ...(kid !== undefined && { kid }) } as Outcome);
    expectOutcome(await outcomeOf(verifySubjectToken(asSubject, subjectContext([issuer, parties.issuerB]))), refused('invalid_request', reason, kid));
    expect(guard.calls).toHaveLength(0);
  });

  it('refuses a missing or oversized token as invalid_request', async () => {
    await expect(verifySubjectToken(undefined, subjectContext([issuerA]))).rejects.toMatchObject({ error: 'invalid_request', reason: 'assertion_missing' });
    await expect(verifySubjectToken('a'.repeat(16_385), subjectContext([issuerA]))).rejects.toMatchObject({ error: 'invalid_request', reason: 'assertion_too_large' });
  });

  it('answers temporarily_unavailable when the issuer lookup throws', async () => {
    const token = buildAssertion({}, parties.keys, defaults());
    const ctx: SubjectTokenVerificationContext = { now: () => NOW * 1000, findIssuer: () => { throw new Error('down'); } };
    await expect(verifySubjectToken(token, ctx)).rejects.toMatchObject({ error: 'temporarily_unavailable', reason: 'party_lookup_failed' });
  });
});

const SUBJECT_TOKEN_CASES: UseCase[] = [
  { name: 'passes: aud one of the accepted audiences', expect: { ok: true } },
  { name: "passes: an ID token whose aud is the client id at the partner's IdP", claims: { aud: ID_TOKEN_AUDIENCE }, expect: { ok: true } },
  { name: 'passes: aud an array holding an accepted audience', claims: { aud: ['https://other.example', STS_AUDIENCE] }, expect: { ok: true } },
  { name: 'passes: no jti although the issuer requires one for grants', claims: { jti: undefined }, policy: { requireJti: true }, expect: { ok: true } },
  { name: 'passes: no sub, subject_from_issuer', claims: { sub: undefined }, policy: { subjectFromIssuer: true }, expect: { ok: true } },
  { name: 'refuses aud the broker when it is not an accepted audience', claims: { aud: BROKER }, expect: refused('invalid_request', 'audience_mismatch') },
  { name: 'passes: aud the broker when accepted (the default [BROKER_ISSUER])', claims: { aud: BROKER }, policy: { acceptedAudiences: [BROKER] }, expect: { ok: true } },
  { name: 'refuses any aud when the issuer accepts none (empty list)', policy: { acceptedAudiences: [] }, expect: refused('invalid_request', 'audience_mismatch') },
  { name: 'refuses any aud when the policy has no accepted audiences (fail closed)', policy: { acceptedAudiences: undefined }, expect: refused('invalid_request', 'audience_mismatch') },
  { name: 'refuses no aud', claims: { aud: undefined }, expect: refused('invalid_request', 'audience_missing') },
  { name: 'refuses an empty aud array', claims: { aud: [] }, expect: refused('invalid_request', 'audience_missing') },
  { name: 'refuses a non-string aud', claims: { aud: 5 }, expect: refused('invalid_request', 'claims_malformed') },
  { name: 'refuses an accepted audience only as a substring', claims: { aud: `${STS_AUDIENCE}/x` }, expect: refused('invalid_request', 'audience_mismatch') },
  { name: "refuses issuer B's token under issuer A's accepted audiences (B accepts none)", claims: { iss: ISSUER_B }, header: { kid: 'b-1' }, signWith: (k) => k.issuerB.privateKey, expect: refused('invalid_request', 'audience_mismatch') },
];

describe('verifySubjectToken: where it differs from the grant', () => {
  it.each(SUBJECT_TOKEN_CASES)('$name', async (row) => {
    const token = buildAssertion(row, parties.keys, defaults());
    const issuer = { ...issuerA, ...row.policy };
    if (row.policy && 'acceptedAudiences' in row.policy && row.policy.acceptedAudiences === undefined) delete issuer.acceptedAudiences;
    expectOutcome(await outcomeOf(verifySubjectToken(token, subjectContext([issuer, parties.issuerB]))), row.expect);
  });

  it('is not single-use: the same token passes again and again until it expires, then is refused', async () => {
    const token = buildAssertion({ claims: { jti: 'reused', exp: NOW + 100 } }, parties.keys, defaults());
    for (let i = 0; i < 3; i++) await expect(verifySubjectToken(token, subjectContext([issuerA]))).resolves.toMatchObject({ subject: 'alice', jti: 'reused' });
    await expect(verifySubjectToken(token, subjectContext([issuerA], NOW + 131))).rejects.toMatchObject({ error: 'invalid_request', reason: 'assertion_expired' });
  });

  it('keeps the verified facts on a refusal after the signature', async () => {
    const token = buildAssertion({ claims: { aud: 'https://elsewhere.example', jti: 'j-1' } }, parties.keys, defaults());
    const error = (await outcomeOf(verifySubjectToken(token, subjectContext([issuerA])))) as { error: AssertionError };
    expect(error.error.verified).toEqual({ issuer: ISSUER_A, subject: 'alice', kid: 'ec-1', jti: 'j-1' });
  });
});

const CREDENTIAL_SUBJECT = 'system:serviceaccount:ci:deployer';

function federatedClient(overrides: Partial<FederatedClientPolicy> = {}): FederatedClientPolicy {
  return {
    clientId: 'ci-deployer',
    credentials: [{ issuer: ISSUER_A, subject: CREDENTIAL_SUBJECT }, { issuer: ISSUER_B, subject: 'other-workload' }],
    replayNamespace: 'client:ci-deployer',
    reuse: false,
    ...overrides,
  };
}

function federatedContext(client: FederatedClientPolicy, guard: MapReplayGuard, issuers: TrustedIssuerPolicy[] = [issuerA, parties.issuerB], now = NOW): FederatedClientVerificationContext {
  const byIss = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  return { replayGuard: guard, now: () => now * 1000, client, findIssuer: (iss) => byIss.get(iss) };
}

interface FederatedCase extends UseCase {
  client?: Partial<FederatedClientPolicy>;
  /** Whether the jti is recorded (single-use) when it passes. */
  recorded?: boolean;
}

const FEDERATED_CASES: FederatedCase[] = [
  { name: 'passes: iss and sub of a credential, aud accepted, jti recorded once', recorded: true, expect: { ok: true } },
  { name: 'passes: aud an array with more than one value (the one-value rule is for self-signed assertions)', claims: { aud: ['https://x.example', STS_AUDIENCE] }, recorded: true, expect: { ok: true } },
  { name: 'passes: a sub outside the issuer\'s subjects (subjects are for grants)', policy: { subjects: ['somebody-else'] }, recorded: true, expect: { ok: true } },
  { name: 'passes: a condition that would refuse a grant (conditions are for grants)', policy: { condition: 'false' }, recorded: true, expect: { ok: true } },
  { name: 'passes: reusable client, no jti, nothing recorded', claims: { jti: undefined }, client: { reuse: true }, recorded: false, expect: { ok: true } },
  { name: 'passes: reusable client, a jti, not recorded', client: { reuse: true }, recorded: false, expect: { ok: true } },
  { name: 'refuses an iss that no credential names, before any lookup', claims: { iss: 'https://idp-c.example' }, expect: refused('invalid_client', 'issuer_unknown') },
  { name: 'refuses a credential issuer that is not (or no longer) trusted', client: { credentials: [{ issuer: 'https://gone.example', subject: CREDENTIAL_SUBJECT }] }, claims: { iss: 'https://gone.example' }, expect: refused('invalid_client', 'issuer_unknown') },
  { name: "refuses the sub of another credential's issuer", claims: { sub: 'other-workload' }, expect: refused('invalid_client', 'subject_not_allowed') },
  { name: 'refuses a sub that only starts like the credential', claims: { sub: `${CREDENTIAL_SUBJECT}-2` }, expect: refused('invalid_client', 'subject_not_allowed') },
  { name: 'refuses no sub even with subject_from_issuer', claims: { sub: undefined }, policy: { subjectFromIssuer: true }, expect: refused('invalid_client', 'subject_missing') },
  { name: 'refuses aud the broker when not accepted', claims: { aud: BROKER }, expect: refused('invalid_client', 'audience_mismatch') },
  { name: 'refuses no jti for a single-use client', claims: { jti: undefined }, expect: refused('invalid_client', 'jti_missing') },
  { name: "refuses beyond the issuer's maximum lifetime", claims: { iat: NOW, exp: NOW + 301 }, expect: refused('invalid_client', 'lifetime_exceeded') },
  { name: 'passes a longer lifetime the issuer allows (Kubernetes tokens live an hour)', claims: { iat: NOW, exp: NOW + 3600 }, policy: { maxLifetimeSeconds: 3600 }, recorded: true, expect: { ok: true } },
  { name: "refuses an algorithm outside the issuer's allowlist", policy: { allowedAlgorithms: ['RS256'] }, expect: refused('invalid_client', 'alg_not_allowed') },
  { name: "refuses a signature by a key that is not the issuer's", signWith: (k) => k.attacker.privateKey, expect: refused('invalid_client', 'signature_invalid') },
  { name: 'refuses an expired token', claims: { iat: NOW - 200, exp: NOW - 31 }, expect: refused('invalid_client', 'assertion_expired') },
  { name: 'refuses a revoked jti', client: { isRevoked: ({ jti }) => jti === 'jti-default' }, expect: refused('invalid_client', 'assertion_revoked') },
  { name: "refuses every token signed with a revoked issuer key's kid", client: { reuse: true, isRevoked: ({ kid }) => kid === 'ec-1' }, expect: refused('invalid_client', 'assertion_revoked') },
  { name: 'refuses typ at+jwt', header: { typ: 'at+jwt' }, expect: refused('invalid_client', 'typ_not_allowed') },
];

describe('verifyFederatedClientAssertion', () => {
  it.each(FEDERATED_CASES)('$name', async (row) => {
    const token = buildAssertion({ ...row, claims: { sub: CREDENTIAL_SUBJECT, ...row.claims } }, parties.keys, defaults());
    const guard = new MapReplayGuard(() => NOW);
    const issuers = [{ ...issuerA, ...row.policy }, parties.issuerB];
    expectOutcome(await outcomeOf(verifyFederatedClientAssertion(token, federatedContext(federatedClient(row.client), guard, issuers))), row.expect);
    const recorded = 'ok' in row.expect && row.recorded === true;
    expect(guard.calls.map((call) => call.namespace)).toEqual(recorded ? ['client:ci-deployer'] : []);
  });

  it('is single-use: the same assertion is refused the second time (jti_replayed)', async () => {
    const token = buildAssertion({ claims: { sub: CREDENTIAL_SUBJECT, jti: 'once' } }, parties.keys, defaults());
    const guard = new MapReplayGuard(() => NOW);
    await expect(verifyFederatedClientAssertion(token, federatedContext(federatedClient(), guard))).resolves.toMatchObject({ issuer: ISSUER_A, subject: CREDENTIAL_SUBJECT, jti: 'once' });
    await expect(verifyFederatedClientAssertion(token, federatedContext(federatedClient(), guard))).rejects.toMatchObject({ error: 'invalid_client', reason: 'jti_replayed' });
  });

  it('may be presented again and again when the client allows reuse', async () => {
    const token = buildAssertion({ claims: { sub: CREDENTIAL_SUBJECT, jti: 'long-lived' } }, parties.keys, defaults());
    const guard = new MapReplayGuard(() => NOW);
    for (let i = 0; i < 3; i++) await expect(verifyFederatedClientAssertion(token, federatedContext(federatedClient({ reuse: true }), guard))).resolves.toBeDefined();
    expect(guard.calls).toHaveLength(0);
  });
});
