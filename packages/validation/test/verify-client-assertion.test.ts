/**
 * RFC 7523 §3 rules for JWT client authentication (`private_key_jwt` and
 * `client_secret_jwt`, OIDC Core §9) and the rfc7523bis audience rule, as a table.
 * Every rejected row also proves the replay guard was never reached.
 */
import {
  AssertionError,
  createStaticKeyResolver,
  hmacCandidateKey,
  verifyClientAssertion,
  type ClientAssertionPolicy,
  type ClientVerificationContext,
} from '../src/index';
import { buildAssertion, expectRefusal, expectVerified, replayedIn, runVerification, type AssertionSpec, type Members, type Outcome } from './support/case-runner';
import {
  BROKER,
  CLIENT_ID,
  clientContext,
  createParties,
  generateKeys,
  INTROSPECTION_ENDPOINT,
  MapReplayGuard,
  NOW,
  OTHER_PURPOSE_TYPES,
  publicJwk,
  SECRET_CLIENT_ID,
  SHORT_SECRET_CLIENT_ID,
  TOKEN_ENDPOINT,
  type Keys,
  type Parties,
} from './support/fixtures';
import { signCompact, type SigningKey } from './support/sign-compact';

type ClientName = 'client' | 'secretClient' | 'shortSecretClient';

interface ClientCase extends AssertionSpec {
  name: string;
  /** Which registered client the assertion is made for (sets iss, sub and the default key). */
  as?: ClientName;
  policy?: Partial<ClientAssertionPolicy>;
  context?: Partial<ClientVerificationContext>;
  prepare?: (guard: MapReplayGuard, assertion: unknown) => Promise<void>;
  expect: Outcome;
}

const fail = (reason: Extract<Outcome, { reason: unknown }>['reason'], kid?: string): Outcome => (kid === undefined ? { error: 'invalid_client', reason } : { error: 'invalid_client', reason, kid });
const PASS: Outcome = { ok: true };
const CLIENT_IDS: Record<ClientName, string> = { client: CLIENT_ID, secretClient: SECRET_CLIENT_ID, shortSecretClient: SHORT_SECRET_CLIENT_ID };

function keyFor(alg: string, keys: Keys): SigningKey | undefined {
  if (alg.startsWith('HS')) return keys.secret;
  if (alg === 'EdDSA') return keys.clientEd.privateKey;
  return keys.clientEc.privateKey;
}

const asSecretClient = { alg: 'HS256', kid: undefined };
const bytes = (length: number): Uint8Array => new Uint8Array(length).fill(0x5a);
const secretOfBytes = (length: number): Partial<ClientAssertionPolicy> => ({ keys: createStaticKeyResolver([hmacCandidateKey(bytes(length))]) });
const rsaPemOfClient = (keys: Keys): Uint8Array => new Uint8Array(Buffer.from(keys.clientEc.publicKey.export({ type: 'spki', format: 'pem' }) as string));

const cases: ClientCase[] = [
  // Passing assertions
  { name: 'passes: private_key_jwt ES256', expect: PASS },
  { name: 'passes: private_key_jwt EdDSA', header: { alg: 'EdDSA', kid: 'c-ed' }, expect: PASS },
  { name: 'passes: private_key_jwt without kid', header: { kid: undefined }, expect: PASS },
  { name: 'passes: aud as a one-element array', claims: { aud: [BROKER] }, expect: PASS },
  { name: 'passes: client_secret_jwt HS256 with a 64-byte secret', as: 'secretClient', header: asSecretClient, expect: PASS },
  { name: 'passes: client_secret_jwt HS256 with a 32-byte secret', as: 'secretClient', header: asSecretClient, policy: secretOfBytes(32), signWith: () => bytes(32), expect: PASS },
  { name: 'passes: client_secret_jwt HS384 with a 48-byte secret', as: 'secretClient', header: { alg: 'HS384' }, policy: secretOfBytes(48), signWith: () => bytes(48), expect: PASS },
  { name: 'passes: client_secret_jwt HS512', as: 'secretClient', header: { alg: 'HS512' }, expect: PASS },
  { name: 'passes: client_secret_jwt with a kid header', as: 'secretClient', header: { alg: 'HS256', kid: 'whatever' }, expect: PASS },
  { name: 'passes: client_id parameter equal to sub', context: { clientIdParameter: CLIENT_ID }, expect: PASS },
  { name: 'passes: an empty client_id parameter counts as absent', context: { clientIdParameter: '' }, expect: PASS },
  { name: 'passes: compat on, aud is the token endpoint', claims: { aud: TOKEN_ENDPOINT }, context: { acceptEndpointAudience: true }, expect: PASS },
  { name: 'passes: compat on, aud is the called endpoint', claims: { aud: INTROSPECTION_ENDPOINT }, context: { acceptEndpointAudience: true, endpointUrl: INTROSPECTION_ENDPOINT }, expect: PASS },
  { name: 'passes: compat on, aud still the issuer identifier', context: { acceptEndpointAudience: true }, expect: PASS },
  { name: 'passes: reuse on, no jti', claims: { jti: undefined }, policy: { reuse: true }, expect: PASS },
  { name: 'passes: reuse on, with a jti that is not revoked', policy: { reuse: true, isRevoked: ({ jti }) => jti === 'other' }, expect: PASS },
  { name: 'passes: expired within the skew', claims: { iat: NOW - 100, exp: NOW - 5 }, expect: PASS },

  // audience (rfc7523bis)
  { name: 'refuses the token endpoint as aud without the compat setting', claims: { aud: TOKEN_ENDPOINT }, expect: fail('audience_mismatch') },
  { name: 'refuses the called endpoint as aud without the compat setting', claims: { aud: INTROSPECTION_ENDPOINT }, context: { endpointUrl: INTROSPECTION_ENDPOINT }, expect: fail('audience_mismatch') },
  { name: 'refuses two aud values, even both ours', claims: { aud: [BROKER, TOKEN_ENDPOINT] }, context: { acceptEndpointAudience: true }, expect: fail('audience_multiple') },
  { name: 'refuses two identical aud values', claims: { aud: [BROKER, BROKER] }, expect: fail('audience_multiple') },
  { name: 'refuses an aud array that contains the broker among others', claims: { aud: ['https://rp.example', BROKER] }, expect: fail('audience_multiple') },
  { name: 'refuses a missing aud', claims: { aud: undefined }, expect: fail('audience_missing') },
  { name: 'refuses another aud', claims: { aud: 'https://other.example' }, expect: fail('audience_mismatch') },

  // identity
  { name: 'refuses iss different from sub', claims: { iss: 'someone-else' }, expect: fail('subject_mismatch') },
  { name: 'refuses a client_id parameter that differs from sub', context: { clientIdParameter: 'client-2' }, expect: fail('client_id_mismatch') },
  { name: 'refuses an unknown client', claims: { iss: 'ghost', sub: 'ghost' }, expect: fail('client_unknown') },
  { name: 'refuses when the lookup answers for another client', context: { findClient: () => undefined }, expect: fail('client_unknown') },
  { name: 'refuses a client whose method is not a JWT method', policy: { method: 'client_secret_basic' as 'client_secret_jwt' }, expect: fail('client_unknown') },
  { name: 'fails closed when the client policy has no maximum lifetime', policy: { maxLifetimeSeconds: undefined as unknown as number }, expect: fail('verification_failed') },
  { name: 'refuses a missing sub', claims: { sub: undefined }, expect: fail('subject_missing') },
  { name: 'refuses a missing iss', claims: { iss: undefined }, expect: fail('issuer_missing') },

  // algorithms and keys
  { name: 'refuses alg none', header: { alg: 'none' }, expect: fail('alg_none') },
  { name: 'refuses alg None', header: { alg: 'None' }, expect: fail('alg_none') },
  { name: "refuses HS256 for a private_key_jwt client, keyed with the client's public key PEM", header: { alg: 'HS256' }, signWith: rsaPemOfClient, policy: { allowedAlgorithms: ['ES256', 'HS256'] }, expect: fail('alg_not_allowed') },
  { name: 'refuses ES256 for a client_secret_jwt client, even if listed', as: 'secretClient', header: { alg: 'ES256' }, signWith: (k) => k.clientEc.privateKey, policy: { allowedAlgorithms: ['HS256', 'ES256'] }, expect: fail('alg_not_allowed') },
  { name: "refuses an alg outside the client's allowlist", header: { alg: 'EdDSA', kid: 'c-ed' }, policy: { allowedAlgorithms: ['ES256'] }, expect: fail('alg_not_allowed') },
  { name: 'refuses a client_secret_jwt secret under 32 bytes', as: 'shortSecretClient', header: asSecretClient, signWith: (k) => k.shortSecret, expect: fail('secret_too_short') },
  // RFC 7518 §3.2: the key at least as long as the hash output, per algorithm.
  { name: 'refuses HS384 with a 32-byte secret', as: 'secretClient', header: { alg: 'HS384' }, policy: secretOfBytes(32), signWith: () => bytes(32), expect: fail('secret_too_short') },
  { name: 'refuses HS384 with a 47-byte secret', as: 'secretClient', header: { alg: 'HS384' }, policy: secretOfBytes(47), signWith: () => bytes(47), expect: fail('secret_too_short') },
  { name: 'refuses HS512 with a 48-byte secret', as: 'secretClient', header: { alg: 'HS512' }, policy: secretOfBytes(48), signWith: () => bytes(48), expect: fail('secret_too_short') },
  { name: 'refuses HS512 with a 63-byte secret', as: 'secretClient', header: { alg: 'HS512' }, policy: secretOfBytes(63), signWith: () => bytes(63), expect: fail('secret_too_short') },
  { name: 'refuses HS256 signed with a wrong secret', as: 'secretClient', header: asSecretClient, signWith: () => new Uint8Array(32).fill(7), expect: fail('signature_invalid') },
  { name: 'refuses HS256 with a kid and a wrong secret as a bad signature, not an unknown kid', as: 'secretClient', header: { alg: 'HS256', kid: 'k9' }, signWith: () => new Uint8Array(32).fill(7), expect: fail('signature_invalid') },
  { name: 'refuses ES256 under the kid of the Ed25519 key', header: { alg: 'ES256', kid: 'c-ed' }, expect: fail('alg_key_mismatch') },
  { name: 'reports an unknown kid with the kid', header: { kid: 'c-2' }, expect: fail('unknown_kid', 'c-2') },
  { name: "refuses a signature by another party's key", signWith: (k) => k.attacker.privateKey, expect: fail('signature_invalid') },
  { name: "refuses an embedded jwk header carrying an attacker's key", signWith: (k) => k.attacker.privateKey, raw: (k, sign) => sign({ kid: undefined, jwk: publicJwk(k.attacker) }, {}), expect: fail('embedded_key_header') },
  { name: 'refuses a jku header', header: { jku: 'https://attacker.example/jwks' }, expect: fail('embedded_key_header') },
  { name: 'refuses typ at+jwt', header: { typ: 'at+JWT' }, expect: fail('typ_not_allowed') },
  ...OTHER_PURPOSE_TYPES.map((typ): ClientCase => ({ name: `refuses typ ${typ} (made for another purpose)`, header: { typ }, expect: fail('typ_not_allowed') })),
  { name: 'passes: typ client-authentication+jwt (rfc7523bis explicit typing)', header: { typ: 'client-authentication+jwt' }, expect: PASS },
  { name: 'passes: typ application/client-authentication+jwt', header: { typ: 'application/client-authentication+jwt' }, expect: PASS },
  { name: 'passes: typ JWT', header: { typ: 'JWT' }, expect: PASS },
  { name: 'refuses crit', header: { crit: ['b64'], b64: false }, expect: fail('crit_unsupported') },

  // time and lifetime
  { name: 'refuses expired beyond the skew', claims: { iat: NOW - 200, exp: NOW - 31 }, expect: fail('assertion_expired') },
  { name: 'refuses nbf in the future', claims: { nbf: NOW + 60 }, expect: fail('assertion_not_yet_valid') },
  { name: 'refuses iat in the future', claims: { iat: NOW + 60, exp: NOW + 120 }, expect: fail('issued_in_future') },
  { name: 'refuses a lifetime over the client maximum', claims: { exp: NOW + 301 }, expect: fail('lifetime_exceeded') },
  { name: 'refuses a long-lived assertion over the maximum even with reuse on', claims: { exp: NOW + 3600 }, policy: { reuse: true }, expect: fail('lifetime_exceeded') },
  { name: 'refuses a non-numeric exp', claims: { exp: 'tomorrow' }, expect: fail('claims_malformed') },

  // jti, revocation, replay
  { name: 'refuses a missing jti when reuse is off', claims: { jti: undefined }, expect: fail('jti_missing') },
  { name: 'refuses a jti over 256 characters, even with reuse on', claims: { jti: 'x'.repeat(257) }, policy: { reuse: true }, expect: fail('jti_invalid') },
  { name: 'refuses a replayed jti', prepare: replayedIn(`client:${CLIENT_ID}`), expect: fail('jti_replayed') },
  { name: 'refuses a revoked jti (reuse on)', claims: { jti: 'revoked-1' }, policy: { reuse: true, isRevoked: ({ jti }) => jti === 'revoked-1' }, expect: fail('assertion_revoked') },
  { name: 'refuses an assertion signed with a revoked kid (reuse on)', policy: { reuse: true, isRevoked: ({ kid }) => kid === 'c-1' }, expect: fail('assertion_revoked') },
  { name: 'refuses a revoked kid when the header names no kid', header: { kid: undefined }, policy: { isRevoked: ({ kid }) => kid === 'c-1' }, expect: fail('assertion_revoked') },
  {
    name: 'answers temporarily_unavailable when the replay guard throws',
    context: { replayGuard: { markUsed: () => Promise.reject(new Error('ECONNREFUSED')) } },
    expect: { error: 'temporarily_unavailable', reason: 'replay_store_unavailable' },
  },

  // shape and size: invalid_request for the parameter, invalid_client after
  { name: 'refuses an oversized client assertion with invalid_request', claims: { pad: 'y'.repeat(13_000) }, expect: { error: 'invalid_request', reason: 'assertion_too_large' } },
  { name: 'refuses a missing client assertion with invalid_request', raw: () => null, expect: { error: 'invalid_request', reason: 'assertion_missing' } },
  { name: 'refuses a JWE client assertion', raw: () => 'a.b.c.d.e', expect: fail('assertion_encrypted') },
  { name: 'refuses garbage with an empty payload part', raw: () => 'abcd..efgh', expect: fail('assertion_malformed') },
];

let parties: Parties;

function defaultClaims(clientId: string, jti: string): Members {
  return { iss: clientId, sub: clientId, aud: BROKER, iat: NOW, exp: NOW + 60, jti };
}

beforeAll(async () => {
  parties = await createParties(generateKeys());
});

describe('verifyClientAssertion: RFC 7523 §3, OIDC Core §9, rfc7523bis', () => {
  it('has at least 50 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases.map((row, index) => ({ ...row, index })))('$name', async (row) => {
    const as = row.as ?? 'client';
    const clientId = CLIENT_IDS[as];
    const assertion = buildAssertion(row, parties.keys, { header: { alg: 'ES256', kid: 'c-1' }, claims: defaultClaims(clientId, `client-jti-${row.index}`), keyFor });
    const guard = new MapReplayGuard(() => NOW);
    const policy = { ...parties[as], ...(row.policy ?? {}) };
    const others = (['client', 'secretClient', 'shortSecretClient'] as const).filter((name) => name !== as).map((name) => parties[name]);
    const ctx: ClientVerificationContext = { ...clientContext([policy, ...others], guard), ...(row.context ?? {}) };
    if (row.prepare) await row.prepare(guard, assertion);

    const outcome = await runVerification(guard, () => verifyClientAssertion(assertion, ctx));

    if ('ok' in row.expect) {
      const verified = expectVerified(outcome);
      expect(verified.subject).toBe(clientId);
      expect(verified.issuer).toBe(clientId);
      expect(outcome.guardCalls).toBe(policy.reuse ? 0 : 1);
      return;
    }
    expectRefusal(outcome, row.expect);
  });
});

describe('verifyClientAssertion: reuse and replay', () => {
  const sign = (claims: Members): string =>
    signCompact('ES256', '{"alg":"ES256","kid":"c-1"}', JSON.stringify({ ...defaultClaims(CLIENT_ID, 'reused'), ...claims }), parties.keys.clientEc.privateKey);

  it('accepts a reusable assertion presented twice without touching the replay guard', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const ctx = clientContext([{ ...parties.client, reuse: true, maxLifetimeSeconds: 3600 }], guard);
    const assertion = sign({ exp: NOW + 3000 });
    await expect(verifyClientAssertion(assertion, ctx)).resolves.toMatchObject({ subject: CLIENT_ID, jti: 'reused' });
    await expect(verifyClientAssertion(assertion, ctx)).resolves.toMatchObject({ subject: CLIENT_ID, jti: 'reused' });
    expect(guard.calls).toHaveLength(0);
  });

  it('refuses a reusable assertion once its jti is revoked', async () => {
    const revoked = new Set<string>();
    const ctx = clientContext([{ ...parties.client, reuse: true, isRevoked: ({ jti }) => jti !== undefined && revoked.has(jti) }], new MapReplayGuard(() => NOW));
    const assertion = sign({});
    await expect(verifyClientAssertion(assertion, ctx)).resolves.toBeDefined();
    revoked.add('reused');
    await expect(verifyClientAssertion(assertion, ctx)).rejects.toMatchObject({ error: 'invalid_client', reason: 'assertion_revoked' });
  });

  it('refuses a single-use assertion presented twice; the jti is kept until exp plus skew', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const ctx = clientContext([parties.client], guard);
    const assertion = sign({ jti: 'single' });
    await verifyClientAssertion(assertion, ctx);
    await expect(verifyClientAssertion(assertion, ctx)).rejects.toMatchObject({ error: 'invalid_client', reason: 'jti_replayed' });
    expect(guard.calls[0]).toEqual({ namespace: `client:${CLIENT_ID}`, jti: 'single', expiresAt: NOW + 60 + 30 + 1, usableSince: NOW - 30 });
  });

  it('keeps what the verified assertion said on a refusal after the signature, and nothing before it', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const ctx = clientContext([parties.client], guard);
    const late = await verifyClientAssertion(sign({ jti: 'facts', aud: 'https://elsewhere.example' }), ctx).catch((error: unknown) => error);
    expect(late).toMatchObject({ reason: 'audience_mismatch', verified: { issuer: CLIENT_ID, subject: CLIENT_ID, jti: 'facts' } });
    // The client_id parameter is compared after the signature: the client it names is a verified fact.
    const mismatch = await verifyClientAssertion(sign({ jti: 'other-id' }), { ...ctx, clientIdParameter: 'client-2' }).catch((error: unknown) => error);
    expect(mismatch).toMatchObject({ reason: 'client_id_mismatch', verified: { issuer: CLIENT_ID, subject: CLIENT_ID, jti: 'other-id' } });
    const forgedJws = signCompact('ES256', '{"alg":"ES256","kid":"c-1"}', JSON.stringify({ ...defaultClaims(CLIENT_ID, 'forged') }), parties.keys.attacker.privateKey);
    const forged = await verifyClientAssertion(forgedJws, ctx).catch((error: unknown) => error);
    expect(forged).toBeInstanceOf(AssertionError);
    expect((forged as AssertionError).verified).toBeUndefined();
  });

  it('does not use up the jti of an assertion refused for its audience', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const assertion = sign({ jti: 'aud-first', aud: TOKEN_ENDPOINT });
    await expect(verifyClientAssertion(assertion, clientContext([parties.client], guard))).rejects.toMatchObject({ reason: 'audience_mismatch' });
    const compat = { ...clientContext([parties.client], guard), acceptEndpointAudience: true };
    await expect(verifyClientAssertion(assertion, compat)).resolves.toMatchObject({ jti: 'aud-first' });
  });
});
