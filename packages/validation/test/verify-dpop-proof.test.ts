/**
 * RFC 9449 §4.3 checks of a DPoP proof at the token endpoint, as a table of real signed
 * proofs (node:crypto, so `alg: none`, HMAC and a lying `jwk` can be made), each with the
 * exact error and reason; every refused row also proves the replay guard was never
 * reached. Then the jti rules through the guard, and the RFC 7638 thumbprint against jose.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { AssertionError, DPOP_SIGNING_ALGORITHMS, jwkThumbprint, verifyDpopProof, type DpopVerificationContext, type ReplayGuard } from '../src/index';
import { merge, type Members, type Outcome } from './support/case-runner';
import { MapReplayGuard, NOW, TOKEN_ENDPOINT } from './support/fixtures';
import { base64url, signCompact } from './support/sign-compact';

interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const keys = {
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }) as KeyPair,
  ec384: generateKeyPairSync('ec', { namedCurve: 'P-384' }) as KeyPair,
  ed: generateKeyPairSync('ed25519') as KeyPair,
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }) as KeyPair,
  rsa1024: generateKeyPairSync('rsa', { modulusLength: 1024 }) as KeyPair,
  other: generateKeyPairSync('ec', { namedCurve: 'P-256' }) as KeyPair,
};
type KeyName = keyof typeof keys;

const jwkOf = (name: KeyName, part: 'publicKey' | 'privateKey' = 'publicKey'): Record<string, unknown> => keys[name][part].export({ format: 'jwk' }) as Record<string, unknown>;

interface ProofCase {
  name: string;
  header?: Members;
  claims?: Members;
  /** The key whose public part goes in `jwk` (default `ec`) and which signs (default: the same). */
  key?: KeyName;
  signWith?: KeyName;
  raw?: unknown;
  context?: Partial<DpopVerificationContext>;
  expect: Outcome;
}

const PASS: Outcome = { ok: true };
const fail = (reason: Extract<Outcome, { reason: unknown }>['reason']): Outcome => ({ error: 'invalid_dpop_proof', reason });

function buildProof(spec: ProofCase, jti: string): string {
  const key = spec.key ?? 'ec';
  const alg = key === 'ed' ? 'EdDSA' : key.startsWith('rsa') ? 'PS256' : key === 'ec384' ? 'ES384' : 'ES256';
  const header = merge({ typ: 'dpop+jwt', alg, jwk: jwkOf(key) }, spec.header);
  const claims = merge({ htm: 'POST', htu: TOKEN_ENDPOINT, iat: NOW, jti }, spec.claims);
  return signCompact(String(header.alg), JSON.stringify(header), JSON.stringify(claims), keys[spec.signWith ?? key].privateKey);
}

const cases: ProofCase[] = [
  { name: 'passes: ES256 with a P-256 key', expect: PASS },
  { name: 'passes: ES384 with a P-384 key', key: 'ec384', expect: PASS },
  { name: 'passes: EdDSA with an Ed25519 key', key: 'ed', expect: PASS },
  { name: 'passes: PS256 with an RSA key', key: 'rsa', expect: PASS },
  { name: 'passes: RS256 with an RSA key', key: 'rsa', header: { alg: 'RS256' }, expect: PASS },
  { name: 'passes: typ in another case, with the application/ prefix', header: { typ: 'application/DPoP+JWT' }, expect: PASS },
  { name: 'passes: iat 60 s in the past', claims: { iat: NOW - 60 }, expect: PASS },
  { name: 'passes: iat 60 s in the future', claims: { iat: NOW + 60 }, expect: PASS },
  { name: 'passes: htu with a query and a fragment (ignored)', claims: { htu: `${TOKEN_ENDPOINT}?a=1#f` }, expect: PASS },
  { name: 'passes: htu with the host in upper case and the default port', claims: { htu: 'https://BROKER.example:443/oauth2/token' }, expect: PASS },
  { name: 'passes: a jwk that declares its kid, use and alg', header: { jwk: { ...jwkOf('ec'), kid: 'k', use: 'sig', alg: 'ES256' } }, expect: PASS },
  { name: 'passes: extra claims (ath, nonce) are not required here', claims: { ath: 'x', nonce: 'n' }, expect: PASS },

  // typ
  { name: 'refuses a missing typ', header: { typ: undefined }, expect: fail('dpop_typ_invalid') },
  { name: 'refuses typ JWT', header: { typ: 'JWT' }, expect: fail('dpop_typ_invalid') },
  { name: 'refuses typ at+jwt', header: { typ: 'at+jwt' }, expect: fail('dpop_typ_invalid') },
  { name: 'refuses a typ that is not a string', header: { typ: ['dpop+jwt'] }, expect: fail('dpop_typ_invalid') },
  // alg
  { name: 'refuses alg none', header: { alg: 'none' }, expect: fail('alg_none') },
  { name: 'refuses alg NONE', header: { alg: 'NONE' }, expect: fail('alg_none') },
  { name: 'refuses a missing alg', header: { alg: undefined }, expect: fail('header_invalid') },
  { name: 'refuses HS256 (symmetric), keyed with the public key', header: { alg: 'HS256' }, expect: fail('alg_not_allowed') },
  { name: 'refuses an unknown alg', header: { alg: 'ES256K' }, expect: fail('alg_not_allowed') },
  { name: 'refuses an alg outside the allowlist', key: 'ed', context: { allowedAlgorithms: ['ES256'] }, expect: fail('alg_not_allowed') },
  { name: 'refuses a crit header', header: { crit: ['exp'] }, expect: fail('crit_unsupported') },
  // jwk
  { name: 'refuses a missing jwk', header: { jwk: undefined }, expect: fail('dpop_jwk_invalid') },
  { name: 'refuses a jwk that is a string', header: { jwk: 'key' }, expect: fail('dpop_jwk_invalid') },
  { name: 'refuses a private jwk (EC, d)', header: { jwk: jwkOf('ec', 'privateKey') }, expect: fail('dpop_jwk_invalid') },
  { name: 'refuses a private jwk (RSA)', key: 'rsa', header: { jwk: jwkOf('rsa', 'privateKey') }, expect: fail('dpop_jwk_invalid') },
  { name: 'refuses a symmetric jwk', header: { jwk: { kty: 'oct', k: base64url('secret-secret-secret-secret-1234') } }, expect: fail('dpop_jwk_invalid') },
  { name: 'refuses an EC point off the curve', header: { jwk: { ...jwkOf('ec'), y: jwkOf('other').y } }, expect: fail('dpop_jwk_invalid') },
  { name: 'refuses an RSA key under 2048 bits', key: 'rsa1024', expect: fail('dpop_jwk_invalid') },
  { name: 'refuses a P-256 key for ES384', header: { alg: 'ES384' }, expect: fail('dpop_jwk_invalid') },
  { name: "refuses a jwk whose own alg is another", header: { jwk: { ...jwkOf('ec'), alg: 'ES384' } }, expect: fail('dpop_jwk_invalid') },
  // signature
  { name: 'refuses a proof signed by another key than its jwk', signWith: 'other', expect: fail('signature_invalid') },
  { name: 'refuses a proof without a signature', raw: 'unsigned', expect: fail('signature_invalid') },
  // htm / htu
  { name: 'refuses htm GET for a POST', claims: { htm: 'GET' }, expect: fail('dpop_htm_mismatch') },
  { name: 'refuses htm post (methods are case-sensitive)', claims: { htm: 'post' }, expect: fail('dpop_htm_mismatch') },
  { name: 'refuses a missing htm', claims: { htm: undefined }, expect: fail('dpop_htm_mismatch') },
  { name: 'refuses htu of another endpoint', claims: { htu: 'https://broker.example/oauth2/introspect' }, expect: fail('dpop_htu_mismatch') },
  { name: 'refuses htu of another host', claims: { htu: 'https://evil.example/oauth2/token' }, expect: fail('dpop_htu_mismatch') },
  { name: 'refuses htu over http for an https endpoint', claims: { htu: 'http://broker.example/oauth2/token' }, expect: fail('dpop_htu_mismatch') },
  { name: 'refuses htu with a trailing slash', claims: { htu: `${TOKEN_ENDPOINT}/` }, expect: fail('dpop_htu_mismatch') },
  { name: 'refuses a relative htu', claims: { htu: '/oauth2/token' }, expect: fail('dpop_htu_mismatch') },
  { name: 'refuses a missing htu', claims: { htu: undefined }, expect: fail('dpop_htu_mismatch') },
  { name: 'refuses an htu with user info', claims: { htu: 'https://u:p@broker.example/oauth2/token' }, expect: fail('dpop_htu_mismatch') },
  // iat
  { name: 'refuses iat 61 s in the past', claims: { iat: NOW - 61 }, expect: fail('dpop_iat_invalid') },
  { name: 'refuses iat 61 s in the future', claims: { iat: NOW + 61 }, expect: fail('dpop_iat_invalid') },
  { name: 'refuses a missing iat', claims: { iat: undefined }, expect: fail('dpop_iat_invalid') },
  { name: 'refuses an iat that is a string', claims: { iat: String(NOW) }, expect: fail('dpop_iat_invalid') },
  { name: 'refuses an iat outside a narrower window', claims: { iat: NOW - 20 }, context: { iatWindowSeconds: 10 }, expect: fail('dpop_iat_invalid') },
  // jti
  { name: 'refuses a missing jti', claims: { jti: undefined }, expect: fail('jti_missing') },
  { name: 'refuses an empty jti', claims: { jti: '' }, expect: fail('jti_invalid') },
  { name: 'refuses a jti over 256 characters', claims: { jti: 'j'.repeat(257) }, expect: fail('jti_invalid') },
  // shape
  { name: 'refuses an empty proof', raw: '', expect: fail('assertion_malformed') },
  { name: 'refuses a proof that is not a string', raw: 42, expect: fail('assertion_malformed') },
  { name: 'refuses a proof over 8192 bytes', raw: 'a'.repeat(8193), expect: fail('assertion_too_large') },
  { name: 'refuses two parts', raw: 'abc.def', expect: fail('assertion_malformed') },
  { name: 'refuses a header that is not JSON', raw: `${base64url('nope')}.${base64url('{}')}.sig`, expect: fail('header_invalid') },
  { name: 'refuses duplicate claims', raw: 'duplicate', expect: fail('claims_malformed') },
];

function rawProof(spec: ProofCase, jti: string): unknown {
  if (spec.raw === 'unsigned') return buildProof(spec, jti).replace(/\.[^.]*$/, '.');
  if (spec.raw === 'duplicate') {
    const header = JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: jwkOf('ec') });
    return signCompact('ES256', header, `{"htm":"POST","htm":"GET","htu":"${TOKEN_ENDPOINT}","iat":${NOW},"jti":"${jti}"}`, keys.ec.privateKey);
  }
  return spec.raw;
}

const contextWith = (guard: ReplayGuard, overrides: Partial<DpopVerificationContext> = {}): DpopVerificationContext => ({
  method: 'POST',
  url: TOKEN_ENDPOINT,
  replayGuard: guard,
  now: () => NOW * 1000,
  ...overrides,
});

describe('verifyDpopProof: the RFC 9449 §4.3 checks', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, spec) => {
    const guard = new MapReplayGuard(() => NOW);
    const proof = 'raw' in spec ? rawProof(spec, 'jti-1') : buildProof(spec, 'jti-1');
    const outcome = await verifyDpopProof(proof, contextWith(guard, spec.context)).then(
      (verified) => ({ ok: true as const, verified }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    if ('ok' in spec.expect) {
      if (!outcome.ok) throw outcome.error;
      expect(outcome.verified.jkt).toBe(await calculateJwkThumbprint(jwkOf(spec.key ?? 'ec') as never, 'sha256'));
      expect(outcome.verified.jti).toBe('jti-1');
      expect(guard.calls).toEqual([{ namespace: `dpop:${outcome.verified.jkt}`, jti: 'jti-1', expiresAt: outcome.verified.iat + 61, usableSince: outcome.verified.iat - 60 }]);
      expect(outcome.verified.jwk).not.toHaveProperty('d');
    } else {
      expect(outcome.ok).toBe(false);
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(AssertionError);
      expect({ error: (error as AssertionError).error, reason: (error as AssertionError).reason }).toEqual(spec.expect);
      expect(guard.calls).toHaveLength(0);
    }
  });
});

describe('verifyDpopProof: jti through the replay guard', () => {
  it('refuses a proof presented a second time, and accepts a new jti', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const proof = buildProof({ name: 'first', expect: PASS }, 'once');
    await expect(verifyDpopProof(proof, contextWith(guard))).resolves.toMatchObject({ jti: 'once' });
    await expect(verifyDpopProof(proof, contextWith(guard))).rejects.toMatchObject({ error: 'invalid_dpop_proof', reason: 'jti_replayed' });
    await expect(verifyDpopProof(buildProof({ name: 'second', expect: PASS }, 'twice'), contextWith(guard))).resolves.toMatchObject({ jti: 'twice' });
  });

  it('keeps the jti of one key apart from the same jti of another key', async () => {
    const guard = new MapReplayGuard(() => NOW);
    await verifyDpopProof(buildProof({ name: 'ec', expect: PASS }, 'shared'), contextWith(guard));
    await expect(verifyDpopProof(buildProof({ name: 'ed', key: 'ed', expect: PASS }, 'shared'), contextWith(guard))).resolves.toMatchObject({ jti: 'shared' });
    expect(new Set(guard.calls.map((call) => call.namespace)).size).toBe(2);
  });

  it('fails closed with temporarily_unavailable when the replay store cannot answer', async () => {
    const guard: ReplayGuard = { markUsed: () => Promise.reject(new Error('ECONNREFUSED')) };
    await expect(verifyDpopProof(buildProof({ name: 'down', expect: PASS }, 'j'), contextWith(guard))).rejects.toMatchObject({
      error: 'temporarily_unavailable',
      reason: 'replay_store_unavailable',
    });
  });

  it('refuses when the store lost the records that could hold this jti', async () => {
    const guard: ReplayGuard = { markUsed: async () => 'state_lost' };
    await expect(verifyDpopProof(buildProof({ name: 'lost', expect: PASS }, 'j'), contextWith(guard))).rejects.toMatchObject({
      error: 'invalid_dpop_proof',
      reason: 'replay_state_lost',
    });
  });
});

describe('jwkThumbprint (RFC 7638)', () => {
  it('gives the RFC 7638 §3.1 example thumbprint', () => {
    const example = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(example)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each([['ec'], ['ec384'], ['ed'], ['rsa']] as const)('agrees with jose for a %s key', async (name) => {
    expect(jwkThumbprint(jwkOf(name))).toBe(await calculateJwkThumbprint(jwkOf(name) as never, 'sha256'));
  });

  it('refuses a key without its required members', () => {
    expect(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'a' })).toThrow(TypeError);
    expect(() => jwkThumbprint({ kty: 'oct', k: 'a' })).toThrow(TypeError);
  });
});

it('lists only asymmetric algorithms for DPoP', () => {
  expect(DPOP_SIGNING_ALGORITHMS).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'PS256', 'RS256']));
  expect(DPOP_SIGNING_ALGORITHMS.some((alg) => alg.startsWith('HS') || alg === 'none')).toBe(false);
});
