/**
 * Differential tests of the signature check against jose, the oracle: tokens are made by
 * jose (`CompactSign`) or, where jose refuses to make them, by node:crypto; each is
 * verified by the engine's own path (readAssertion's header rules, the alg allowlist, then
 * `verifyJwsSignature`) and by jose's `compactVerify` with the same key and `algorithms`.
 * Both must give the answer the row expects. They differ only where the engine is
 * deliberately stricter: a signature text that is not canonical base64url (padding,
 * whitespace, non-zero unused bits), which jose on Node 20 decodes leniently with atob,
 * and `crit: ["b64"]` (RFC 7797), which jose understands and the engine refuses outright.
 */
import { constants, createHmac, generateKeyPairSync, KeyObject, randomBytes, sign, type webcrypto } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, compactVerify, importJWK } from 'jose';
import { SUPPORTED_ALGORITHMS } from '../src/algorithms';
import { AssertionError, createStaticKeyResolver, importCandidateKeys, verifyGrantAssertion, type TrustedIssuerPolicy } from '../src/index';
import { splitCompactJws } from '../src/jws/compact-jws-parts';
import { VERIFIABLE_ALGORITHMS, verifyJwsSignature } from '../src/jws/verify-jws-signature';
import { readAssertion } from '../src/rules/read-assertion';
import type { CandidateKey } from '../src/types';
import { BROKER, grantContext, MapReplayGuard, NOW } from './support/fixtures';

type Key = CandidateKey['key'];

const ALL_ALGORITHMS: string[] = [...SUPPORTED_ALGORITHMS.asymmetric, ...SUPPORTED_ALGORITHMS.hmac];

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaOther = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p256Other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ed = generateKeyPairSync('ed25519');
const secret = new Uint8Array(randomBytes(64));
const rsaPem = new Uint8Array(Buffer.from(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string));

/** The key pair (or secret) each algorithm is signed and verified with in the valid rows. */
const KEYS: Record<string, { signing: KeyObject | Uint8Array; verifying: Key }> = {
  ES256: { signing: p256.privateKey, verifying: p256.publicKey },
  ES384: { signing: p384.privateKey, verifying: p384.publicKey },
  ES512: { signing: p521.privateKey, verifying: p521.publicKey },
  RS256: { signing: rsa.privateKey, verifying: rsa.publicKey },
  RS384: { signing: rsa.privateKey, verifying: rsa.publicKey },
  RS512: { signing: rsa.privateKey, verifying: rsa.publicKey },
  PS256: { signing: rsa.privateKey, verifying: rsa.publicKey },
  PS384: { signing: rsa.privateKey, verifying: rsa.publicKey },
  PS512: { signing: rsa.privateKey, verifying: rsa.publicKey },
  EdDSA: { signing: ed.privateKey, verifying: ed.publicKey },
  Ed25519: { signing: ed.privateKey, verifying: ed.publicKey },
  HS256: { signing: secret, verifying: secret },
  HS384: { signing: secret, verifying: secret },
  HS512: { signing: secret, verifying: secret },
};

const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

async function joseSign(alg: string, claims: Record<string, unknown> = { iss: 'https://idp.example', sub: 'alice', jti: 'j-1' }, key = KEYS[alg]?.signing): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg, typ: 'JWT' }).sign(key as KeyObject);
}

/** A compact JWS whose signature node:crypto makes from `signer` (for what jose will not sign). */
function nodeSign(header: Record<string, unknown>, signer: (input: Buffer) => Buffer | string): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify({ iss: 'https://idp.example', sub: 'alice' }))}`;
  const signature = signer(Buffer.from(input));
  return `${input}.${typeof signature === 'string' ? signature : signature.toString('base64url')}`;
}

/** The engine's path: header rules, the allowlist, then the node:crypto verifier. */
function oursAccepts(token: string, key: Key, algorithms: readonly string[]): boolean {
  let read;
  try {
    read = readAssertion(token, 'grant');
  } catch {
    return false;
  }
  if (!algorithms.includes(read.checkedHeader.alg)) return false;
  return verifyJwsSignature(read.parts, read.checkedHeader.alg, key);
}

async function joseAccepts(token: string, key: Key, algorithms: readonly string[]): Promise<boolean> {
  try {
    await compactVerify(token, key as KeyObject, { algorithms: [...algorithms] });
    return true;
  } catch {
    return false;
  }
}

const signatureOf = (token: string): string => token.slice(token.lastIndexOf('.') + 1);
const withSignature = (token: string, signature: string): string => `${token.slice(0, token.lastIndexOf('.'))}.${signature}`;
const signatureBytes = (token: string): Buffer => Buffer.from(signatureOf(token), 'base64url');

/** The signature text with the unused low bits of its last character set: same octets, another text. */
function nonCanonical(signature: string): string | undefined {
  const unusedBits = signature.length % 4 === 2 ? 4 : signature.length % 4 === 3 ? 2 : 0;
  if (unusedBits === 0) return undefined;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(signature.slice(-1));
  return signature.slice(0, -1) + (alphabet[last | 1] as string);
}

/** A jose-signed token whose signature contains `-` or `_`, so that standard base64 spells it differently. */
async function tokenWithUrlOnlyCharacters(alg: string): Promise<string> {
  for (let i = 0; ; i++) {
    const token = await joseSign(alg, { sub: 'alice', n: i });
    if (/[-_]/.test(signatureOf(token))) return token;
  }
}

interface Row {
  name: string;
  token: string;
  key: Key;
  algorithms?: readonly string[];
  ours: boolean;
  jose: boolean;
}

async function rowsFor(alg: string): Promise<Row[]> {
  const { verifying } = KEYS[alg] as { verifying: Key };
  const valid = await joseSign(alg);
  const [header, payload] = valid.split('.') as [string, string];
  const signature = signatureOf(valid);
  const padding = '='.repeat((4 - (signature.length % 4)) % 4);
  const urlToken = await tokenWithUrlOnlyCharacters(alg);
  const standardAlphabet = signatureBytes(urlToken).toString('base64').replace(/=+$/, '');
  const rows: Row[] = [
    { name: 'valid', token: valid, key: verifying, ours: true, jose: true },
    { name: 'payload tampered', token: `${header}.${b64(JSON.stringify({ iss: 'https://idp.example', sub: 'mallory', jti: 'j-1' }))}.${signature}`, key: verifying, ours: false, jose: false },
    { name: 'header tampered', token: `${b64(JSON.stringify({ alg, typ: 'JWT', x: 1 }))}.${payload}.${signature}`, key: verifying, ours: false, jose: false },
    { name: 'signature truncated by one octet', token: withSignature(valid, signatureBytes(valid).subarray(0, -1).toString('base64url')), key: verifying, ours: false, jose: false },
    { name: 'signature extended by one zero octet', token: withSignature(valid, Buffer.concat([signatureBytes(valid), Buffer.alloc(1)]).toString('base64url')), key: verifying, ours: false, jose: false },
    { name: 'signature empty', token: withSignature(valid, ''), key: verifying, ours: false, jose: false },
    { name: 'signature in standard base64 (+ and /)', token: withSignature(urlToken, standardAlphabet), key: verifying, ours: false, jose: false },
    { name: 'signature with a stray "=" in the middle', token: withSignature(valid, `${signature.slice(0, 8)}=${signature.slice(8)}`), key: verifying, ours: false, jose: false },
    // Stricter than jose: atob drops whitespace and accepts correct padding.
    { name: 'signature with a space inside', token: withSignature(valid, `${signature.slice(0, 8)} ${signature.slice(8)}`), key: verifying, ours: false, jose: true },
    { name: 'signature with a line break inside', token: withSignature(valid, `${signature.slice(0, 8)}\n${signature.slice(8)}`), key: verifying, ours: false, jose: true },
    { name: 'header alg not in the allowlist', token: valid, key: verifying, algorithms: ALL_ALGORITHMS.filter((other) => other !== alg), ours: false, jose: false },
    { name: 'four segments', token: `${valid}.${signature}`, key: verifying, ours: false, jose: false },
    { name: 'two segments', token: `${header}.${payload}`, key: verifying, ours: false, jose: false },
  ];
  if (padding !== '') rows.push({ name: `signature padded with "${padding}"`, token: withSignature(valid, signature + padding), key: verifying, ours: false, jose: true });
  if (padding === '') rows.push({ name: 'signature with "=" needing none', token: withSignature(valid, `${signature}=`), key: verifying, ours: false, jose: false });
  const loose = nonCanonical(signature);
  if (loose !== undefined) rows.push({ name: 'signature with non-zero unused bits (same octets)', token: withSignature(valid, loose), key: verifying, ours: false, jose: true });
  return rows;
}

const data = (token: string) => Buffer.from(token.slice(0, token.lastIndexOf('.')));

async function crossRows(): Promise<Row[]> {
  const es256 = await joseSign('ES256');
  const rs256 = await joseSign('RS256');
  const hs256OverPem = await joseSign('HS256', { sub: 'alice' }, rsaPem);
  const ecCryptoKey = await importJWK(p256.publicKey.export({ format: 'jwk' }), 'ES256');
  const rsCryptoKey = await importJWK(rsa.publicKey.export({ format: 'jwk' }), 'RS256');
  return [
    { name: 'ES256 verified with a P-384 key', token: es256, key: p384.publicKey, ours: false, jose: false },
    { name: 'ES256 verified with another P-256 key', token: es256, key: p256Other.publicKey, ours: false, jose: false },
    { name: 'ES256 header, P-384 key signs (SHA-256) and verifies', token: nodeSign({ alg: 'ES256' }, (input) => sign('sha256', input, { key: p384.privateKey, dsaEncoding: 'ieee-p1363' })), key: p384.publicKey, ours: false, jose: false },
    { name: 'ES384 header, P-256 key signs (SHA-384) and verifies', token: nodeSign({ alg: 'ES384' }, (input) => sign('sha384', input, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' })), key: p256.publicKey, ours: false, jose: false },
    { name: 'ES256 DER-encoded signature', token: withSignature(es256, sign('sha256', data(es256), { key: p256.privateKey, dsaEncoding: 'der' }).toString('base64url')), key: p256.publicKey, ours: false, jose: false },
    { name: 'ES256 header, Ed25519 key signs and verifies', token: nodeSign({ alg: 'ES256' }, (input) => sign(null, input, ed.privateKey)), key: ed.publicKey, ours: false, jose: false },
    { name: 'ES256 verified with an Ed25519 key', token: es256, key: ed.publicKey, ours: false, jose: false },
    { name: 'EdDSA header, P-256 key signs and verifies', token: nodeSign({ alg: 'EdDSA' }, (input) => sign('sha256', input, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' })), key: p256.publicKey, ours: false, jose: false },
    { name: 'PS256 header, RS256 (PKCS#1 v1.5) signature', token: nodeSign({ alg: 'PS256' }, (input) => sign('sha256', input, rsa.privateKey)), key: rsa.publicKey, ours: false, jose: false },
    { name: 'RS256 header, PS256 (PSS) signature', token: nodeSign({ alg: 'RS256' }, (input) => sign('sha256', input, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })), key: rsa.publicKey, ours: false, jose: false },
    ...[0, 20, 33, 64, constants.RSA_PSS_SALTLEN_MAX_SIGN].map((saltLength) => ({
      name: `PS256 with salt length ${saltLength === constants.RSA_PSS_SALTLEN_MAX_SIGN ? 'max' : saltLength}`,
      token: nodeSign({ alg: 'PS256' }, (input) => sign('sha256', input, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength })),
      key: rsa.publicKey,
      ours: false,
      jose: false,
    })),
    { name: 'PS256 with the right salt length, by node:crypto (control)', token: nodeSign({ alg: 'PS256' }, (input) => sign('sha256', input, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })), key: rsa.publicKey, ours: true, jose: true },
    { name: 'PS384 header, PSS with SHA-256', token: nodeSign({ alg: 'PS384' }, (input) => sign('sha256', input, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 })), key: rsa.publicKey, ours: false, jose: false },
    { name: 'RS256 verified with another RSA key', token: rs256, key: rsaOther.publicKey, ours: false, jose: false },
    { name: 'RS256 signed and verified with a 1024-bit RSA key', token: nodeSign({ alg: 'RS256' }, (input) => sign('sha256', input, rsa1024.privateKey)), key: rsa1024.publicKey, ours: false, jose: false },
    { name: 'HS256 keyed with the RSA public key PEM, verified with the RSA public key', token: hs256OverPem, key: rsa.publicKey, ours: false, jose: false },
    { name: 'HS256 keyed with the RSA public key PEM, verified with the PEM octets as a secret (control)', token: hs256OverPem, key: rsaPem, ours: true, jose: true },
    { name: 'HS256 keyed with the SPKI DER, verified with the RSA public key', token: nodeSign({ alg: 'HS256' }, (input) => createHmac('sha256', rsa.publicKey.export({ type: 'spki', format: 'der' })).update(input).digest()), key: rsa.publicKey, ours: false, jose: false },
    { name: 'HS256 with an empty secret', token: nodeSign({ alg: 'HS256' }, (input) => createHmac('sha256', Buffer.alloc(0)).update(input).digest()), key: new Uint8Array(0), ours: false, jose: false },
    { name: 'HS256 MAC truncated to 16 octets', token: nodeSign({ alg: 'HS256' }, (input) => createHmac('sha256', secret).update(input).digest().subarray(0, 16)), key: secret, ours: false, jose: false },
    { name: 'RS256 verified with the RSA private key', token: rs256, key: rsa.privateKey, ours: false, jose: false },
    { name: 'RS256 verified with a secret', token: rs256, key: secret, ours: false, jose: false },
    { name: 'alg none, empty signature', token: nodeSign({ alg: 'none' }, () => ''), key: secret, algorithms: [...ALL_ALGORITHMS, 'none'], ours: false, jose: false },
    { name: 'alg none with an RSA key', token: nodeSign({ alg: 'none' }, () => ''), key: rsa.publicKey, algorithms: [...ALL_ALGORITHMS, 'none'], ours: false, jose: false },
    { name: 'ES256 with a WebCrypto CryptoKey for ES256 (control)', token: es256, key: ecCryptoKey as webcrypto.CryptoKey, ours: true, jose: true },
    { name: 'PS256 with a CryptoKey bound to RS256', token: nodeSign({ alg: 'PS256' }, (input) => sign('sha256', input, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })), key: rsCryptoKey as webcrypto.CryptoKey, ours: false, jose: false },
    // Stricter than jose, which knows b64 (RFC 7797): a JWT never uses it (RFC 7797 §7), so any crit is refused.
    { name: 'crit header (b64 false) over a valid signature', token: nodeSign({ alg: 'ES256', crit: ['b64'], b64: false }, (input) => sign('sha256', input, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' })), key: p256.publicKey, ours: false, jose: true },
    { name: 'crit naming an unknown extension over a valid signature', token: nodeSign({ alg: 'ES256', crit: ['exp'], exp: 1 }, (input) => sign('sha256', input, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' })), key: p256.publicKey, ours: false, jose: false },
  ];
}

describe('signature verification agrees with jose compactVerify', () => {
  it('knows exactly the algorithms the engine supports', () => {
    expect([...VERIFIABLE_ALGORITHMS].sort()).toEqual([...ALL_ALGORITHMS].sort());
  });

  it.each(ALL_ALGORITHMS)('%s: valid, tampered, truncated, extended, padded, non-url and non-canonical signatures', async (alg) => {
    const rows = await rowsFor(alg);
    const seen = [];
    for (const row of rows) {
      const algorithms = row.algorithms ?? ALL_ALGORITHMS;
      seen.push({ name: row.name, ours: oursAccepts(row.token, row.key, algorithms), jose: await joseAccepts(row.token, row.key, algorithms) });
    }
    expect(seen).toEqual(rows.map(({ name, ours, jose }) => ({ name, ours, jose })));
  });

  it('key, curve, padding and algorithm confusion', async () => {
    const rows = await crossRows();
    const seen = [];
    for (const row of rows) {
      const algorithms = row.algorithms ?? ALL_ALGORITHMS;
      seen.push({ name: row.name, ours: oursAccepts(row.token, row.key, algorithms), jose: await joseAccepts(row.token, row.key, algorithms) });
    }
    expect(seen).toEqual(rows.map(({ name, ours, jose }) => ({ name, ours, jose })));
  });

  it('a strict signature decodes once; a lenient spelling of it never verifies', async () => {
    const valid = await joseSign('ES256');
    expect(splitCompactJws(valid)?.signature?.equals(signatureBytes(valid))).toBe(true);
    expect(splitCompactJws(withSignature(valid, `${signatureOf(valid)}==`))).toBeUndefined();
    expect(splitCompactJws(withSignature(valid, nonCanonical(signatureOf(valid)) as string))?.signature).toBeUndefined();
  });
});

describe('through verifyGrantAssertion', () => {
  const ISSUER = 'https://idp.example';
  const claims = { iss: ISSUER, sub: 'alice', aud: BROKER, iat: NOW, exp: NOW + 120, jti: 'j-pipeline' };
  let policy: TrustedIssuerPolicy;

  beforeAll(async () => {
    const keys = await importCandidateKeys({ keys: [{ ...p256.publicKey.export({ format: 'jwk' }), kid: 'ec-1' }, { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1' }] });
    policy = { issuer: ISSUER, allowedAlgorithms: ['ES256', 'PS256', 'RS256'], clockSkewSeconds: 30, maxLifetimeSeconds: 300, keys: createStaticKeyResolver(keys), replayNamespace: 'grant:test', requireJti: true, subjects: ['*'] };
  });

  const signed = (alg: string, kid: string) => new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg, kid }).sign(KEYS[alg]?.signing as KeyObject);

  async function outcome(token: string): Promise<string> {
    const guard = new MapReplayGuard(() => NOW);
    try {
      await verifyGrantAssertion(token, grantContext([policy], guard));
      return 'ok';
    } catch (error) {
      // A rejected assertion never reaches the replay guard.
      expect(guard.calls).toEqual([]);
      return error instanceof AssertionError ? error.reason : `unexpected ${String(error)}`;
    }
  }

  it.each([
    ['ES256 valid', async () => signed('ES256', 'ec-1'), 'ok'],
    ['PS256 valid', async () => signed('PS256', 'rsa-1'), 'ok'],
    ['ES256 non-canonical signature text', async () => { const t = await signed('ES256', 'ec-1'); return withSignature(t, nonCanonical(signatureOf(t)) as string); }, 'signature_invalid'],
    ['ES256 padded signature', async () => { const t = await signed('ES256', 'ec-1'); return `${t}==`; }, 'assertion_malformed'],
    ['ES256 DER signature', async () => { const t = await signed('ES256', 'ec-1'); return withSignature(t, sign('sha256', data(t), { key: p256.privateKey, dsaEncoding: 'der' }).toString('base64url')); }, 'signature_invalid'],
    ['PS256 header over an RS256 signature', async () => { const t = await signed('PS256', 'rsa-1'); return withSignature(t, sign('sha256', data(t), rsa.privateKey).toString('base64url')); }, 'signature_invalid'],
    ['ES256 header naming the RSA key', async () => { const t = await signed('ES256', 'ec-1'); return `${b64(JSON.stringify({ alg: 'ES256', kid: 'rsa-1' }))}.${t.split('.')[1]}.${signatureOf(t)}`; }, 'alg_key_mismatch'],
  ])('%s', async (_name, make, expected) => {
    expect(await outcome(await make())).toBe(expected);
  });
});

/**
 * Seeded random mutations of valid tokens of every algorithm, each verified with its own
 * key or another one: the engine never accepts what jose rejects, and it rejects what jose
 * accepts only when the token differs from a valid one just in how its signature octets
 * are spelled (jose decodes the signature with atob).
 */
describe('randomized differential against jose', () => {
  const SEED = 7_20261128;
  const RUNS = 400;
  const tokens = new Map<string, string[]>();

  beforeAll(async () => {
    for (const alg of ALL_ALGORITHMS) {
      tokens.set(alg, [await joseSign(alg), await joseSign(alg, { sub: 'bob', aud: 'https://broker.example', n: 1 })]);
    }
  });

  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const STRANGE = [...'=+/. \n\t~%\u00e9'];
  const character = fc.oneof(fc.constantFrom(...ALPHABET), fc.constantFrom(...STRANGE));

  type Mutation = (token: string, other: string) => string;
  const mutation = fc.oneof(
    fc.tuple(fc.nat(), character).map(([at, char]): Mutation => (token) => replaceAt(token, at % token.length, char)),
    fc.tuple(fc.nat(), character).map(([at, char]): Mutation => (token) => insertAt(token, at % (token.length + 1), char)),
    fc.nat().map((at): Mutation => (token) => token.slice(0, at % token.length) + token.slice((at % token.length) + 1)),
    fc.nat().map((at): Mutation => (token) => token.slice(0, at % token.length)),
    fc.constantFrom<Mutation>(
      (token) => `${token}=`,
      (token) => `${token}==`,
      (token, other) => withSignature(token, signatureOf(other)),
      (token, other) => withSignature(other, signatureOf(token)),
      (token) => withSignature(token, Buffer.from(signatureOf(token), 'base64url').toString('base64')),
      (token) => withSignature(token, nonCanonical(signatureOf(token)) ?? signatureOf(token)),
      (token) => token.split('.').reverse().join('.'),
      (token) => token,
    ),
  );

  const outcomes = { bothAccept: 0, bothReject: 0, joseOnly: 0, oursOnly: 0 };

  it(`${RUNS} seeded mutations: never accepts what jose rejects, stricter only on the signature's spelling`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ALL_ALGORITHMS), fc.constantFrom(...ALL_ALGORITHMS), fc.nat(3).map((n) => n > 0), fc.array(mutation, { maxLength: 3 }), async (alg, keyAlg, ownKey, mutations) => {
        const [token, other] = tokens.get(alg) as [string, string];
        const mutated = mutations.reduce((current, mutate) => mutate(current, other), token);
        const key = (KEYS[ownKey ? alg : keyAlg] as { verifying: Key }).verifying;
        const ours = oursAccepts(mutated, key, ALL_ALGORITHMS);
        const jose = await joseAccepts(mutated, key, ALL_ALGORITHMS);
        if (ours) expect(jose).toBe(true);
        if (jose && !ours) expect(sameSignedContentLenientSignature(mutated, [token, other])).toBe(true);
        outcomes[ours ? (jose ? 'bothAccept' : 'oursOnly') : jose ? 'joseOnly' : 'bothReject'] += 1;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The run exercised every side: accepted tokens, rejected ones, and jose's lenient spellings.
    expect(outcomes.oursOnly).toBe(0);
    expect(outcomes.bothAccept).toBeGreaterThan(10);
    expect(outcomes.joseOnly).toBeGreaterThan(5);
    expect(outcomes.bothReject).toBeGreaterThan(RUNS / 2);
  });
});

function replaceAt(text: string, at: number, char: string): string {
  return text.slice(0, at) + char + text.slice(at + 1);
}

function insertAt(text: string, at: number, char: string): string {
  return text.slice(0, at) + char + text.slice(at);
}

/** True when `mutated` is one of `originals` but for a non-canonical spelling of the same signature octets. */
function sameSignedContentLenientSignature(mutated: string, originals: readonly string[]): boolean {
  const dot = mutated.lastIndexOf('.');
  return originals.some((original) => {
    const originalDot = original.lastIndexOf('.');
    if (mutated.slice(0, dot) !== original.slice(0, originalDot)) return false;
    const text = mutated.slice(dot + 1);
    if (text === signatureOf(original)) return false;
    return Buffer.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), 'latin1').equals(signatureBytes(original));
  });
}
