/**
 * RFC 7523 §3 (with RFC 8725) rules for JWT authorization grants, as a table: each row
 * is one assertion, signed with a real key, and the outcome the engine must give.
 * Every rejected row also proves the replay guard was never reached (a rejected
 * assertion never uses up its jti).
 */
import { createHash } from 'node:crypto';
import {
  AssertionError,
  createStaticKeyResolver,
  MAX_ASSERTION_BYTES,
  readGrantAssertion,
  unverifiedClaims,
  verifyClientAssertion,
  verifyGrantAssertion,
  verifySubjectToken,
  type CandidateKey,
  type GrantVerificationContext,
  type TrustedIssuerPolicy,
} from '../src/index';
import { buildAssertion, expectRefusal, expectVerified, replayedIn, runVerification, type AssertionSpec, type Members, type Outcome } from './support/case-runner';
import { BROKER, clientContext, createParties, generateKeys, grantContext, ISSUER_A, ISSUER_B, MapReplayGuard, NOW, OTHER_PURPOSE_TYPES, publicJwk, TOKEN_ENDPOINT, type Keys, type Parties } from './support/fixtures';
import { base64url, signCompact, type SigningKey } from './support/sign-compact';

interface GrantCase extends AssertionSpec {
  name: string;
  policy?: (parties: Parties) => Partial<TrustedIssuerPolicy>;
  context?: (ctx: GrantVerificationContext, parties: Parties) => GrantVerificationContext;
  /** Runs before the assertion is presented (e.g. uses its jti up). */
  prepare?: (guard: MapReplayGuard, assertion: unknown) => Promise<void>;
  expect: Outcome;
}

const fail = (reason: Extract<Outcome, { reason: unknown }>['reason'], kid?: string): Outcome => (kid === undefined ? { error: 'invalid_grant', reason } : { error: 'invalid_grant', reason, kid });
const PASS: Outcome = { ok: true };

function keyFor(alg: string, keys: Keys): SigningKey | undefined {
  if (alg === 'RS256') return keys.rsa1.privateKey;
  if (alg.startsWith('PS') || alg.startsWith('RS')) return keys.rsa2.privateKey;
  if (alg === 'EdDSA' || alg === 'Ed25519') return keys.ed.privateKey;
  return keys.ec.privateKey;
}

const rsaPem = (keys: Keys): Uint8Array => new Uint8Array(Buffer.from(keys.rsa1.publicKey.export({ type: 'spki', format: 'pem' }) as string));
const rsaJwkBytes = (keys: Keys): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(publicJwk(keys.rsa1, { kid: 'rsa-1', alg: 'RS256', use: 'sig' }))));

const cases: GrantCase[] = [
  // Passing assertions, one per algorithm and per optional shape.
  { name: 'passes: ES256 with kid', expect: PASS },
  { name: 'passes: RS256 (key declares alg RS256)', header: { alg: 'RS256', kid: 'rsa-1' }, expect: PASS },
  { name: 'passes: PS256', header: { alg: 'PS256', kid: 'rsa-2' }, expect: PASS },
  { name: 'passes: EdDSA', header: { alg: 'EdDSA', kid: 'ed-1' }, expect: PASS },
  { name: 'passes: typ JWT', header: { typ: 'JWT' }, expect: PASS },
  { name: 'passes: no kid, several RSA keys, the second one signed', header: { alg: 'PS256', kid: undefined }, expect: PASS },
  { name: 'passes: no kid, EdDSA', header: { alg: 'EdDSA', kid: undefined }, expect: PASS },
  { name: 'passes: aud array that contains the broker issuer', claims: { aud: ['https://other.example', BROKER] }, expect: PASS },
  { name: 'passes: aud is the token endpoint URL', claims: { aud: TOKEN_ENDPOINT }, expect: PASS },
  { name: 'passes: aud array that contains the token endpoint URL', claims: { aud: ['https://other.example', TOKEN_ENDPOINT] }, expect: PASS },
  { name: 'passes: no iat, lifetime measured from now', claims: { iat: undefined, exp: NOW + 290 }, expect: PASS },
  { name: 'passes: expired 10 s ago, within the 30 s skew', claims: { iat: NOW - 100, exp: NOW - 10 }, expect: PASS },
  { name: 'passes: nbf 20 s ahead, within the skew', claims: { nbf: NOW + 20 }, expect: PASS },
  { name: 'passes: iat 20 s ahead, within the skew', claims: { iat: NOW + 20, exp: NOW + 200 }, expect: PASS },
  { name: 'passes: lifetime exactly the maximum', claims: { iat: NOW, exp: NOW + 300 }, expect: PASS },
  { name: 'passes: sub in the subjects list', policy: () => ({ subjects: ['bob', 'alice'] }), expect: PASS },
  { name: 'passes: CEL condition true', claims: { groups: ['admins'] }, policy: () => ({ condition: "'admins' in claims.groups && claims.sub.startsWith('ali')" }), expect: PASS },
  { name: 'passes: jti not required and absent', claims: { jti: undefined }, policy: () => ({ requireJti: false }), expect: PASS },
  { name: 'passes: extra unknown header members are ignored', header: { 'x-trace': 'abc' }, expect: PASS },

  // alg
  { name: 'refuses alg none', header: { alg: 'none' }, expect: fail('alg_none') },
  { name: 'refuses alg NONE', header: { alg: 'NONE' }, expect: fail('alg_none') },
  { name: 'refuses alg nOnE', header: { alg: 'nOnE' }, expect: fail('alg_none') },
  { name: 'refuses alg none even with a signature', header: { alg: 'none' }, signWith: (k) => k.ec.privateKey, transform: (jws) => `${jws}c2ln`, expect: fail('alg_none') },
  { name: 'refuses a header without alg', header: { alg: undefined }, signWith: (k) => k.ec.privateKey, expect: fail('header_invalid') },
  { name: 'refuses a non-string alg', header: { alg: 256 }, expect: fail('header_invalid') },
  { name: 'refuses HS256 signed with the RSA public key (PEM) as secret', header: { alg: 'HS256', kid: 'rsa-1' }, signWith: rsaPem, expect: fail('alg_not_allowed') },
  { name: 'refuses HS256 with the RSA public key (JWK bytes) as secret', header: { alg: 'HS256', kid: 'rsa-1' }, signWith: rsaJwkBytes, expect: fail('alg_not_allowed') },
  { name: 'refuses HS256 with the RSA PEM even when the policy wrongly lists HS256', header: { alg: 'HS256', kid: 'rsa-1' }, signWith: rsaPem, policy: () => ({ allowedAlgorithms: ['RS256', 'HS256'] }), expect: fail('alg_not_allowed') },
  { name: 'refuses an algorithm outside the issuer allowlist (RS512)', header: { alg: 'RS512', kid: 'rsa-2' }, expect: fail('alg_not_allowed') },
  { name: 'refuses ES256 when the issuer allows only RS256', policy: () => ({ allowedAlgorithms: ['RS256'] }), expect: fail('alg_not_allowed') },
  { name: 'refuses an unknown algorithm even if listed', header: { alg: 'ES256K' }, policy: () => ({ allowedAlgorithms: ['ES256K'] }), expect: fail('alg_not_allowed') },
  { name: 'refuses ES256 under the kid of an RSA key', header: { alg: 'ES256', kid: 'rsa-2' }, expect: fail('alg_key_mismatch') },
  { name: 'refuses PS256 with a key that declares alg RS256', header: { alg: 'PS256', kid: 'rsa-1' }, signWith: (k) => k.rsa1.privateKey, expect: fail('alg_key_mismatch') },
  { name: 'refuses without kid when no key fits the alg', header: { kid: undefined }, policy: (p) => ({ keys: onlyRsaKeys(p) }), expect: fail('no_matching_key') },

  // crit, embedded keys, typ
  { name: 'refuses crit', header: { crit: ['exp'], exp: NOW + 60 }, expect: fail('crit_unsupported') },
  { name: 'refuses an unknown crit extension', header: { crit: ['urn:example:ext'], 'urn:example:ext': true }, expect: fail('crit_unsupported') },
  { name: 'refuses b64:false with crit', header: { crit: ['b64'], b64: false }, expect: fail('crit_unsupported') },
  { name: 'refuses b64:false without crit', header: { b64: false }, expect: fail('crit_unsupported') },
  {
    name: "refuses an embedded jwk header carrying an attacker's key (signed with that key)",
    signWith: (k) => k.attacker.privateKey,
    raw: (k, sign) => sign({ kid: undefined, jwk: publicJwk(k.attacker) }, {}),
    expect: fail('embedded_key_header'),
  },
  {
    name: "refuses an embedded jwk header even when it repeats the issuer's real key",
    raw: (k, sign) => sign({ jwk: publicJwk(k.ec, { kid: 'ec-1' }) }, {}),
    expect: fail('embedded_key_header'),
  },
  { name: 'refuses a jku header', header: { jku: 'https://attacker.example/jwks.json' }, expect: fail('embedded_key_header') },
  { name: 'refuses an x5u header', header: { x5u: 'https://attacker.example/cert.pem' }, expect: fail('embedded_key_header') },
  { name: 'refuses an x5c header', header: { x5c: ['MIIB'] }, expect: fail('embedded_key_header') },
  { name: 'refuses typ at+jwt (an access token)', header: { typ: 'at+jwt' }, expect: fail('typ_not_allowed') },
  { name: 'refuses typ application/at+jwt', header: { typ: 'application/at+jwt' }, expect: fail('typ_not_allowed') },
  { name: 'refuses typ AT+JWT (case-insensitive)', header: { typ: 'AT+JWT' }, expect: fail('typ_not_allowed') },
  { name: 'refuses typ client-authentication+jwt (a client assertion passed off as a grant)', header: { typ: 'client-authentication+jwt' }, expect: fail('typ_not_allowed') },
  { name: 'refuses typ application/Client-Authentication+JWT', header: { typ: 'application/Client-Authentication+JWT' }, expect: fail('typ_not_allowed') },
  ...OTHER_PURPOSE_TYPES.map((typ): GrantCase => ({ name: `refuses typ ${typ} (made for another purpose)`, header: { typ }, expect: fail('typ_not_allowed') })),
  { name: 'passes: typ JOSE', header: { typ: 'JOSE' }, expect: PASS },
  { name: 'passes: typ application/jwt', header: { typ: 'application/jwt' }, expect: PASS },
  { name: 'passes: a typ that only contains a refused one (x-at+jwt)', header: { typ: 'x-at+jwt' }, expect: PASS },
  { name: 'refuses a non-string typ', header: { typ: 1 }, expect: fail('header_invalid') },
  { name: 'refuses an empty kid', header: { kid: '' }, expect: fail('header_invalid') },

  // keys and signature
  { name: "refuses a kid of issuer B's key (A's resolver never sees B's keys)", header: { kid: 'b-1' }, signWith: (k) => k.issuerB.privateKey, expect: fail('unknown_kid', 'b-1') },
  { name: 'reports an unknown kid distinctly, with the kid', header: { kid: 'rotated-2' }, expect: fail('unknown_kid', 'rotated-2') },
  { name: "refuses a signature by the attacker's key under a real kid", signWith: (k) => k.attacker.privateKey, expect: fail('signature_invalid') },
  { name: 'refuses a payload changed after signing', transform: (jws) => resignPayload(jws, { sub: 'admin' }), expect: fail('signature_invalid') },
  { name: 'refuses an empty signature', transform: (jws) => jws.slice(0, jws.lastIndexOf('.') + 1), expect: fail('signature_invalid') },
  { name: 'refuses an RSA key under 2048 bits even if the resolver hands it out', header: { alg: 'RS256', kid: 'weak' }, signWith: (k) => k.rsa1024.privateKey, policy: (p) => ({ keys: weakRsaKeys(p) }), expect: fail('signature_invalid') },

  // shape and size
  { name: 'refuses a JWE (5 parts)', raw: () => 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d', expect: fail('assertion_encrypted') },
  { name: 'refuses the JSON serialization', raw: () => JSON.stringify({ payload: 'e30', protected: 'eyJhbGciOiJFUzI1NiJ9', signature: 'AA' }), expect: fail('assertion_malformed') },
  { name: 'refuses two parts', raw: () => 'eyJhbGciOiJFUzI1NiJ9.e30', expect: fail('assertion_malformed') },
  { name: 'refuses a header that is not base64url', raw: () => 'eyJhb+ciOiJFUzI1NiJ9.e30.AA', expect: fail('assertion_malformed') },
  { name: 'refuses a header that is not JSON', raw: () => `${base64url('alg:ES256')}.e30.AA`, expect: fail('header_invalid') },
  { name: 'refuses a header that is a JSON array', raw: () => `${base64url('["ES256"]')}.e30.AA`, expect: fail('header_invalid') },
  { name: 'refuses a duplicate header member', raw: (k) => signCompact('ES256', '{"alg":"ES256","kid":"ec-1","alg":"none"}', JSON.stringify(defaultClaims()), k.ec.privateKey), expect: fail('header_invalid') },
  { name: 'refuses a duplicate claim', raw: (k) => signCompact('ES256', '{"alg":"ES256","kid":"ec-1"}', JSON.stringify(defaultClaims()).replace('{', '{"sub":"admin",'), k.ec.privateKey), expect: fail('claims_malformed') },
  { name: 'refuses claims that are not a JSON object', raw: (k) => signCompact('ES256', '{"alg":"ES256","kid":"ec-1"}', '"alice"', k.ec.privateKey), expect: fail('claims_malformed') },
  { name: 'refuses an assertion over 16,384 bytes with invalid_request', claims: { pad: 'x'.repeat(12_400) }, expect: { error: 'invalid_request', reason: 'assertion_too_large' } },
  { name: 'refuses a missing assertion with invalid_request', raw: () => undefined, expect: { error: 'invalid_request', reason: 'assertion_missing' } },
  { name: 'refuses a non-string assertion with invalid_request', raw: () => ['a.b.c'], expect: { error: 'invalid_request', reason: 'assertion_missing' } },
  { name: 'refuses an empty assertion with invalid_request', raw: () => '', expect: { error: 'invalid_request', reason: 'assertion_missing' } },

  // iss
  { name: 'refuses a missing iss', claims: { iss: undefined }, expect: fail('issuer_missing') },
  { name: 'refuses a non-string iss', claims: { iss: 42 }, expect: fail('claims_malformed') },
  { name: 'refuses an unknown issuer', claims: { iss: 'https://unknown.example' }, expect: fail('issuer_unknown') },
  { name: 'refuses an issuer that differs by a trailing slash (exact match)', claims: { iss: `${ISSUER_A}/` }, expect: fail('issuer_unknown') },
  { name: 'refuses when the lookup returns another issuer', context: (ctx, p) => ({ ...ctx, findIssuer: () => p.issuerB }), expect: fail('issuer_mismatch') },

  // aud
  { name: 'refuses a missing aud', claims: { aud: undefined }, expect: fail('audience_missing') },
  { name: 'refuses an empty aud array', claims: { aud: [] }, expect: fail('audience_missing') },
  { name: 'refuses another audience', claims: { aud: 'https://other.example' }, expect: fail('audience_mismatch') },
  { name: 'refuses an aud array without the broker', claims: { aud: ['https://a.example', 'https://b.example'] }, expect: fail('audience_mismatch') },
  { name: 'refuses a prefix of the broker issuer', claims: { aud: BROKER.slice(0, -1) }, expect: fail('audience_mismatch') },
  { name: 'refuses a non-string aud', claims: { aud: 7 }, expect: fail('claims_malformed') },

  // exp, nbf, iat, lifetime
  { name: 'refuses a missing exp', claims: { exp: undefined }, expect: fail('expiry_missing') },
  { name: 'refuses a string exp', claims: { exp: String(NOW + 60) }, expect: fail('claims_malformed') },
  { name: 'refuses a string iat', claims: { iat: String(NOW) }, expect: fail('claims_malformed') },
  { name: 'refuses expired beyond the skew', claims: { iat: NOW - 200, exp: NOW - 31 }, expect: fail('assertion_expired') },
  { name: 'refuses expired exactly at the skew edge', claims: { iat: NOW - 200, exp: NOW - 30 }, expect: fail('assertion_expired') },
  { name: 'refuses nbf in the future beyond the skew', claims: { nbf: NOW + 31 }, expect: fail('assertion_not_yet_valid') },
  { name: 'refuses iat in the future beyond the skew', claims: { iat: NOW + 31, exp: NOW + 200 }, expect: fail('issued_in_future') },
  { name: 'refuses a lifetime over the maximum', claims: { iat: NOW, exp: NOW + 301 }, expect: fail('lifetime_exceeded') },
  { name: 'refuses a lifetime over the maximum without iat (from now)', claims: { iat: undefined, exp: NOW + 301 }, expect: fail('lifetime_exceeded') },
  { name: "honours the issuer's own maximum lifetime", claims: { iat: NOW, exp: NOW + 120 }, policy: () => ({ maxLifetimeSeconds: 60 }), expect: fail('lifetime_exceeded') },

  // sub
  { name: 'refuses a missing sub', claims: { sub: undefined }, expect: fail('subject_missing') },
  { name: 'refuses an empty sub', claims: { sub: '' }, expect: fail('subject_missing') },
  { name: 'refuses a non-string sub', claims: { sub: 12 }, expect: fail('claims_malformed') },
  { name: 'refuses a sub outside the subjects list', policy: () => ({ subjects: ['bob'] }), expect: fail('subject_not_allowed') },
  { name: 'refuses any sub with an empty subjects list', policy: () => ({ subjects: [] }), expect: fail('subject_not_allowed') },

  // CEL condition
  { name: 'refuses when the CEL condition is false', claims: { groups: ['users'] }, policy: () => ({ condition: "'admins' in claims.groups" }), expect: fail('condition_failed') },
  { name: 'refuses when the CEL condition errors (missing claim)', policy: () => ({ condition: "claims.department == 'ops'" }), expect: fail('condition_error') },
  { name: 'refuses when the CEL condition is not boolean', policy: () => ({ condition: 'claims.sub' }), expect: fail('condition_error') },
  { name: 'refuses when the stored condition does not compile', policy: () => ({ condition: 'claims.sub ==' }), expect: fail('condition_error') },

  // jti and replay
  { name: 'refuses a missing jti', claims: { jti: undefined }, expect: fail('jti_missing') },
  { name: 'refuses an empty jti', claims: { jti: '' }, expect: fail('jti_invalid') },
  { name: 'refuses a jti over 256 characters', claims: { jti: 'j'.repeat(257) }, expect: fail('jti_invalid') },
  { name: 'passes a jti of exactly 256 characters', claims: { jti: 'j'.repeat(256) }, expect: PASS },
  { name: 'refuses a numeric jti', claims: { jti: 12345 }, expect: fail('jti_invalid') },
  { name: 'refuses a replayed jti', prepare: replayedIn('grant:a'), expect: fail('jti_replayed') },
  // a broken policy or clock fails closed
  { name: 'fails closed when the policy has no clock skew', claims: { iat: NOW - 200, exp: NOW - 100 }, policy: () => ({ clockSkewSeconds: undefined as unknown as number }), expect: fail('verification_failed') },
  { name: 'fails closed when the policy maximum lifetime is NaN', policy: () => ({ maxLifetimeSeconds: Number.NaN }), expect: fail('verification_failed') },
  { name: 'fails closed when the clock answers NaN', context: (ctx) => ({ ...ctx, now: () => Number.NaN }), expect: fail('verification_failed') },
  { name: 'fails closed when the algorithm allowlist is a string', policy: () => ({ allowedAlgorithms: 'ES256,RS256' as unknown as string[] }), expect: fail('verification_failed') },
  { name: 'fails closed when the subjects list is not a list', policy: () => ({ subjects: '*' as unknown as string[] }), expect: fail('verification_failed') },
  {
    name: 'answers temporarily_unavailable when the replay guard throws',
    context: (ctx) => ({ ...ctx, replayGuard: { markUsed: () => Promise.reject(new Error('ECONNREFUSED')) } }),
    expect: { error: 'temporarily_unavailable', reason: 'replay_store_unavailable' },
  },
  {
    name: 'answers temporarily_unavailable when the key resolver throws',
    policy: () => ({ keys: { resolve: () => { throw new Error('cache broken'); } } }),
    expect: { error: 'temporarily_unavailable', reason: 'key_resolution_failed' },
  },
  {
    name: 'answers temporarily_unavailable when the issuer lookup throws',
    context: (ctx) => ({ ...ctx, findIssuer: () => Promise.reject(new Error('db down')) }),
    expect: { error: 'temporarily_unavailable', reason: 'party_lookup_failed' },
  },
];

let parties: Parties;
let rsaOnly: CandidateKey[];

function onlyRsaKeys(_parties: Parties) {
  return createStaticKeyResolver(rsaOnly);
}

function weakRsaKeys(p: Parties) {
  return createStaticKeyResolver([{ kid: 'weak', kty: 'RSA', key: p.keys.rsa1024.publicKey }]);
}

function defaultClaims(): Members {
  return { iss: ISSUER_A, sub: 'alice', aud: BROKER, iat: NOW, exp: NOW + 120, jti: 'jti-default' };
}

/** Swaps the payload of a signed JWS, keeping header and signature. */
function resignPayload(jws: string, changes: Members): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...changes };
  return `${header}.${base64url(JSON.stringify(claims))}.${signature}`;
}

beforeAll(async () => {
  parties = await createParties(generateKeys());
  const resolved = await parties.issuerA.keys.resolve({ alg: 'RS256' });
  rsaOnly = Array.isArray(resolved) ? resolved : [];
});

/** The engine gets the parameter as received, or the reading the token service makes first to look at the unverified `iss`. */
const PRESENTATIONS: [string, (assertion: unknown) => unknown][] = [
  ['as received', (assertion) => assertion],
  ['read ahead by readGrantAssertion', (assertion) => readGrantAssertion(assertion)],
];

describe.each(PRESENTATIONS)('verifyGrantAssertion: RFC 7523 §3 rules, the assertion %s', (_presentation, present) => {
  it('has at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases.map((row, index) => ({ ...row, index })))('$name', async (row) => {
    const header = { alg: 'ES256', kid: 'ec-1' };
    const claims = { ...defaultClaims(), jti: `jti-${row.index}-${createHash('sha256').update(row.name).digest('hex').slice(0, 8)}` };
    const assertion = buildAssertion(row, parties.keys, { header, claims, keyFor });
    const guard = new MapReplayGuard(() => NOW);
    const issuerA = { ...parties.issuerA, ...(row.policy?.(parties) ?? {}) };
    let ctx = grantContext([issuerA, parties.issuerB], guard);
    if (row.context) ctx = row.context(ctx, parties);
    if (row.prepare) await row.prepare(guard, assertion);

    const outcome = await runVerification(guard, () => verifyGrantAssertion(present(assertion), ctx));

    if ('ok' in row.expect) {
      const verified = expectVerified(outcome);
      expect(verified.issuer).toBe(ISSUER_A);
      expect(verified.subject).toBe('alice');
      expect(verified.expiresAt).toBe(verified.claims.exp);
      expect(outcome.guardCalls).toBe(typeof verified.jti === 'string' ? 1 : 0);
      return;
    }
    const error = expectRefusal(outcome, row.expect);
    if (typeof assertion === 'string' && assertion.length > 40) expect(error.description).not.toContain(assertion.slice(0, 40));
  });
});

describe('verifyGrantAssertion: subject_from_issuer (Google service-account assertions)', () => {
  const sign = (claims: Members): string =>
    signCompact('ES256', JSON.stringify({ alg: 'ES256', kid: 'ec-1' }), JSON.stringify({ ...defaultClaims(), ...claims }), parties.keys.ec.privateKey);
  const verify = (claims: Members, policy: Partial<TrustedIssuerPolicy>) =>
    verifyGrantAssertion(sign(claims), grantContext([{ ...parties.issuerA, ...policy }], new MapReplayGuard(() => NOW)));

  it.each([
    ['no sub, subject_from_issuer: the subject is the iss', { sub: undefined }, { subjectFromIssuer: true, subjects: [ISSUER_A] }, { subject: ISSUER_A }],
    ['no sub, subject_from_issuer, subjects ["*"]', { sub: undefined }, { subjectFromIssuer: true, subjects: ['*'] }, { subject: ISSUER_A }],
    ['a sub, subject_from_issuer: the sub is still the subject', { sub: 'alice' }, { subjectFromIssuer: true, subjects: ['alice'] }, { subject: 'alice' }],
  ])('passes: %s', async (_name, claims, policy, expected) => {
    await expect(verify(claims, policy)).resolves.toMatchObject(expected);
  });

  it.each([
    ['no sub without subject_from_issuer', { sub: undefined }, { subjects: ['*'] }, 'subject_missing'],
    ['no sub with subject_from_issuer false', { sub: undefined }, { subjectFromIssuer: false, subjects: ['*'] }, 'subject_missing'],
    ['no sub, subject_from_issuer, the iss not in subjects', { sub: undefined }, { subjectFromIssuer: true, subjects: ['someone-else'] }, 'subject_not_allowed'],
    ['an empty sub, subject_from_issuer', { sub: '' }, { subjectFromIssuer: true, subjects: ['*'] }, 'subject_missing'],
    ['a non-string sub, subject_from_issuer', { sub: 7 }, { subjectFromIssuer: true, subjects: ['*'] }, 'claims_malformed'],
    ['a sub not in subjects, subject_from_issuer', { sub: 'mallory' }, { subjectFromIssuer: true, subjects: [ISSUER_A] }, 'subject_not_allowed'],
  ])('refuses %s', async (_name, claims, policy, reason) => {
    await expect(verify(claims, policy)).rejects.toMatchObject({ error: 'invalid_grant', reason });
  });
});

describe('verifyGrantAssertion: replay and retries', () => {
  const sign = (claims: Members, header: Members = { alg: 'ES256', kid: 'ec-1' }, key?: SigningKey): string =>
    signCompact(String(header.alg), JSON.stringify(header), JSON.stringify({ ...defaultClaims(), ...claims }), key ?? parties.keys.ec.privateKey);

  it('records the jti once, until exp plus the skew, in the issuer namespace', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const ctx = grantContext([parties.issuerA], guard);
    const assertion = sign({ jti: 'once' });
    const verified = await verifyGrantAssertion(assertion, ctx);
    expect(verified.jti).toBe('once');
    expect(guard.calls).toEqual([{ namespace: 'grant:a', jti: 'once', expiresAt: NOW + 120 + 30 + 1, usableSince: NOW - 30 }]);
    await expect(verifyGrantAssertion(assertion, ctx)).rejects.toMatchObject({ error: 'invalid_grant', reason: 'jti_replayed' });
  });

  it('keeps a fractional exp marked until the whole second after exp plus the skew, when the time rule refuses it', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const exp = NOW + 60.5;
    await verifyGrantAssertion(sign({ jti: 'fraction', exp }), grantContext([parties.issuerA], guard));
    const keptUntil = guard.calls[0]!.expiresAt;
    expect(keptUntil).toBe(Math.floor(exp + 30) + 1);
    // The time rule compares whole seconds: late in the last second before the refusal, the assertion still passes...
    const lateInLastSecond = Math.floor(exp + 30) - 1 + 0.9;
    const late = grantContext([parties.issuerA], new MapReplayGuard(() => lateInLastSecond), lateInLastSecond);
    await expect(verifyGrantAssertion(sign({ jti: 'fraction-late', exp }), late)).resolves.toBeDefined();
    // ...so its mark must still be there then.
    expect(keptUntil).toBeGreaterThan(lateInLastSecond);
  });

  it('records a jti that is present even where the issuer does not require one (CONTRACT.md)', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const ctx = grantContext([{ ...parties.issuerA, requireJti: false }], guard);
    const assertion = sign({ jti: 'optional-but-present' });
    await expect(verifyGrantAssertion(assertion, ctx)).resolves.toMatchObject({ jti: 'optional-but-present' });
    await expect(verifyGrantAssertion(assertion, ctx)).rejects.toMatchObject({ error: 'invalid_grant', reason: 'jti_replayed' });
    await expect(verifyGrantAssertion(sign({ jti: undefined }), ctx)).resolves.toBeDefined();
    await expect(verifyGrantAssertion(sign({ jti: undefined }), ctx)).resolves.toBeDefined();
    expect(guard.calls).toHaveLength(2);
  });

  it('tells the guard when the assertion could first have been accepted, and refuses it when the store lost its records since', async () => {
    const seen: (number | undefined)[] = [];
    const lost = { markUsed: async (_n: string, _j: string, _k: number, usableSince?: number) => (seen.push(usableSince), 'state_lost' as const) };
    const ctx = grantContext([parties.issuerA], lost);
    await expect(verifyGrantAssertion(sign({ jti: 'lost', iat: NOW - 10, nbf: NOW - 100 }), ctx)).rejects.toMatchObject({ error: 'invalid_grant', reason: 'replay_state_lost' });
    await verifyGrantAssertion(sign({ jti: 'no-iat', iat: undefined, exp: NOW + 100 }), ctx).catch(() => undefined);
    await verifyGrantAssertion(sign({ jti: 'late-nbf', iat: NOW - 10, nbf: NOW + 5 }), ctx).catch(() => undefined);
    expect(seen).toEqual([NOW - 10 - 30, NOW + 100 - 300, NOW + 5 - 30]);
  });

  it('keeps what the verified assertion said on a refusal after the signature (subject not allowed), and nothing before it', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const strict = grantContext([{ ...parties.issuerA, subjects: ['alice'] }], guard);
    const refused = await verifyGrantAssertion(sign({ jti: 'facts', sub: 'mallory' }), strict).catch((error: unknown) => error);
    expect(refused).toMatchObject({ reason: 'subject_not_allowed', verified: { issuer: ISSUER_A, subject: 'mallory', kid: 'ec-1', jti: 'facts' } });
    const forged = await verifyGrantAssertion(sign({ jti: 'forged' }, { alg: 'ES256', kid: 'ec-1' }, parties.keys.attacker.privateKey), strict).catch((error: unknown) => error);
    expect(forged).toMatchObject({ reason: 'signature_invalid' });
    expect((forged as AssertionError).verified).toBeUndefined();
  });

  it('does not use up the jti when a later rule fails: the same assertion passes once the policy allows it', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const assertion = sign({ jti: 'kept', sub: 'carol' });
    const strict = grantContext([{ ...parties.issuerA, subjects: ['alice'] }], guard);
    await expect(verifyGrantAssertion(assertion, strict)).rejects.toMatchObject({ reason: 'subject_not_allowed' });
    const strictCondition = grantContext([{ ...parties.issuerA, condition: "claims.sub == 'alice'" }], guard);
    await expect(verifyGrantAssertion(assertion, strictCondition)).rejects.toMatchObject({ reason: 'condition_failed' });
    expect(guard.calls).toHaveLength(0);
    const relaxed = grantContext([parties.issuerA], guard);
    await expect(verifyGrantAssertion(assertion, relaxed)).resolves.toMatchObject({ subject: 'carol', jti: 'kept' });
  });

  it('keeps jti namespaces apart: the same jti from two issuers passes for each', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const ctx = grantContext([parties.issuerA, parties.issuerB], guard);
    await verifyGrantAssertion(sign({ jti: 'shared' }), ctx);
    await verifyGrantAssertion(sign({ jti: 'shared', iss: ISSUER_B }, { alg: 'ES256', kid: 'b-1' }, parties.keys.issuerB.privateKey), ctx);
    expect(guard.calls.map((call) => call.namespace)).toEqual(['grant:a', 'grant:b']);
  });

  it('passes after the caller refreshes the keys for an unknown kid and retries', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const assertion = sign({ jti: 'retry' }, { alg: 'ES256', kid: 'new-key' }, parties.keys.attacker.privateKey);
    const before = grantContext([parties.issuerA], guard);
    const error = await verifyGrantAssertion(assertion, before).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'unknown_kid', kid: 'new-key' });
    const refreshedKeys = [
      ...rsaOnly,
      { kid: 'new-key', kty: 'EC' as const, crv: 'P-256', key: parties.keys.attacker.publicKey },
    ];
    const after = grantContext([{ ...parties.issuerA, keys: createStaticKeyResolver(refreshedKeys) }], guard);
    await expect(verifyGrantAssertion(assertion, after)).resolves.toMatchObject({ kid: 'new-key', jti: 'retry' });
  });

  it('accepts an assertion of exactly 16,384 bytes and refuses one byte more', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const ctx = grantContext([parties.issuerA], guard);
    let padLength = 12_000;
    let assertion = sign({ jti: 'big', pad: 'x'.repeat(padLength) });
    while (assertion.length < MAX_ASSERTION_BYTES) assertion = sign({ jti: 'big', pad: 'x'.repeat(++padLength) });
    while (assertion.length > MAX_ASSERTION_BYTES) assertion = sign({ jti: 'big', pad: 'x'.repeat(--padLength) });
    expect(assertion.length).toBe(MAX_ASSERTION_BYTES);
    await expect(verifyGrantAssertion(assertion, ctx)).resolves.toMatchObject({ jti: 'big' });
    await expect(verifyGrantAssertion(`${assertion}A`, ctx)).rejects.toMatchObject({ error: 'invalid_request', reason: 'assertion_too_large' });
  });

  it('counts bytes, not characters: multi-byte text over the limit is refused', async () => {
    const ctx = grantContext([parties.issuerA], new MapReplayGuard(() => NOW));
    await expect(verifyGrantAssertion('é'.repeat(8_193), ctx)).rejects.toMatchObject({ error: 'invalid_request', reason: 'assertion_too_large' });
  });

  it('tries kid-less keys for an unknown kid, and reports unknown_kid (to refresh) when none verifies', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const kidless = [{ kty: 'EC' as const, crv: 'P-256', key: parties.keys.ec.publicKey }];
    const ctx = grantContext([{ ...parties.issuerA, keys: createStaticKeyResolver(kidless) }], guard);
    const byOldKey = sign({ jti: 'old-key' }, { alg: 'ES256', kid: 'named-now' });
    await expect(verifyGrantAssertion(byOldKey, ctx)).resolves.toMatchObject({ kid: 'named-now' });
    const byRotatedKey = sign({ jti: 'new-key' }, { alg: 'ES256', kid: 'rotated' }, parties.keys.attacker.privateKey);
    await expect(verifyGrantAssertion(byRotatedKey, ctx)).rejects.toMatchObject({ reason: 'unknown_kid', kid: 'rotated' });
  });

  it('returns the kid of the key that verified when the header has none', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const assertion = signCompact('EdDSA', '{"alg":"EdDSA"}', JSON.stringify(defaultClaims()), parties.keys.ed.privateKey);
    await expect(verifyGrantAssertion(assertion, grantContext([parties.issuerA], guard))).resolves.toMatchObject({ kid: 'ed-1' });
  });
});

describe('readGrantAssertion: the reading the token service looks at before verifying', () => {
  const header = { alg: 'ES256', kid: 'ec-1' };
  const sign = (claims: Members, signedHeader: Members = header): string =>
    signCompact(String(signedHeader.alg), JSON.stringify(signedHeader), JSON.stringify({ ...defaultClaims(), ...claims }), parties.keys.ec.privateKey);

  it.each([
    ['a valid assertion', () => sign({ jti: 'peek' })],
    ['a header that fails its rules (alg none)', () => sign({ jti: 'peek-none' }, { alg: 'none' })],
    ['a header that is not JSON', () => `${base64url('{"alg":')}.${base64url(JSON.stringify(defaultClaims()))}.c2ln`],
    ['a duplicate claim', () => `${base64url(JSON.stringify(header))}.${base64url('{"iss":"a","iss":"b"}')}.c2ln`],
    ['a payload that is not JSON', () => `${base64url(JSON.stringify(header))}.${base64url('iss')}.c2ln`],
    ['a non-canonical signature', () => `${sign({ jti: 'peek-sig' }).slice(0, -1)}B`],
    ['two parts', () => sign({ jti: 'peek-two' }).split('.').slice(0, 2).join('.')],
    ['a JWE shape', () => 'a.b.c.d.e'],
    ['an empty string', () => ''],
  ])('gives the unverified claims unverifiedClaims gives: %s', (_name, make) => {
    const assertion = make();
    expect(readGrantAssertion(assertion).unverifiedClaims).toEqual(unverifiedClaims(assertion));
  });

  it('gives no claims for a non-string or an assertion over the limit, whose claims would parse', () => {
    expect(readGrantAssertion(42).unverifiedClaims).toBeUndefined();
    expect(readGrantAssertion(undefined).unverifiedClaims).toBeUndefined();
    const oversized = sign({ jti: 'peek-big', pad: 'x'.repeat(MAX_ASSERTION_BYTES) });
    expect(unverifiedClaims(oversized)).toMatchObject({ iss: ISSUER_A });
    expect(readGrantAssertion(oversized).unverifiedClaims).toBeUndefined();
  });

  it('gives the claims the verification then checks: the same values', async () => {
    const reading = readGrantAssertion(sign({ jti: 'same-claims', scope: 'read' }));
    const verified = await verifyGrantAssertion(reading, grantContext([parties.issuerA], new MapReplayGuard(() => NOW)));
    expect(verified.claims).toEqual(reading.unverifiedClaims);
    expect(reading.unverifiedClaims).toMatchObject({ iss: ISSUER_A, scope: 'read', jti: 'same-claims' });
  });

  it('serves a second verification after a key refresh, and refuses a replay of it like the assertion itself', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const reading = readGrantAssertion(sign({ jti: 'read-retry' }, { alg: 'ES256', kid: 'new-key' }));
    await expect(verifyGrantAssertion(reading, grantContext([{ ...parties.issuerA, keys: createStaticKeyResolver(rsaOnly) }], guard))).rejects.toMatchObject({ reason: 'unknown_kid', kid: 'new-key' });
    const refreshed = grantContext([{ ...parties.issuerA, keys: createStaticKeyResolver([{ kid: 'new-key', kty: 'EC', crv: 'P-256', key: parties.keys.ec.publicKey }]) }], guard);
    await expect(verifyGrantAssertion(reading, refreshed)).resolves.toMatchObject({ kid: 'new-key', jti: 'read-retry' });
    await expect(verifyGrantAssertion(reading, refreshed)).rejects.toMatchObject({ error: 'invalid_grant', reason: 'jti_replayed' });
  });

  it('fails closed when a grant reading is given to another use of the engine', async () => {
    const reading = readGrantAssertion(sign({ jti: 'other-use' }));
    await expect(verifySubjectToken(reading, { findIssuer: () => parties.issuerA, now: () => NOW })).rejects.toMatchObject({ error: 'invalid_request', reason: 'verification_failed' });
    await expect(verifyClientAssertion(reading, clientContext([parties.client], new MapReplayGuard(() => NOW)))).rejects.toMatchObject({ error: 'invalid_request', reason: 'assertion_missing' });
  });
});
