/**
 * Differential tests of the JWS core's signer against jose, the oracle: for every algorithm
 * the broker signs its own tokens with, a JWS made by `signJws` verifies with jose's
 * `compactVerify` (same key, that one algorithm) and with the core's `verifyJwsSignature`;
 * one flipped signature bit, another key or another algorithm fails both. And a JWS made by
 * jose verifies with the core, so the core and jose agree in both directions.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import { BROKER_SIGNING_ALGORITHMS, SUPPORTED_ALGORITHMS, type BrokerSigningAlgorithm } from '../src/algorithms';
import { decodeJsonSegment, splitCompactJws } from '../src/jws/compact-jws-parts';
import { signJws } from '../src/jws/sign-jws';
import { verifyJwsSignature } from '../src/jws/verify-jws-signature';

function keyPairFor(alg: BrokerSigningAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'PS256':
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function coreSign(alg: BrokerSigningAlgorithm, privateKey: KeyObject, claims: Record<string, unknown>): string {
  const signingInput = `${b64({ alg, typ: 'at+jwt', kid: 'k1' })}.${b64(claims)}`;
  return `${signingInput}.${signJws(alg, privateKey, Buffer.from(signingInput)).toString('base64url')}`;
}

async function joseAccepts(jws: string, alg: string, publicKey: KeyObject): Promise<boolean> {
  return compactVerify(jws, publicKey, { algorithms: [alg] }).then(
    () => true,
    () => false,
  );
}

function coreAccepts(jws: string, alg: string, publicKey: KeyObject): boolean {
  const parts = splitCompactJws(jws);
  return parts !== undefined && verifyJwsSignature(parts, alg, publicKey);
}

function flipLastSignatureBit(jws: string): string {
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  signature[signature.length - 1] = signature[signature.length - 1]! ^ 0x01;
  return `${jws.slice(0, dot + 1)}${signature.toString('base64url')}`;
}

describe('the broker signing algorithms', () => {
  it('are all algorithms the core verifies for partners too', () => {
    for (const alg of BROKER_SIGNING_ALGORITHMS) expect(SUPPORTED_ALGORITHMS.asymmetric).toContain(alg);
  });
});

describe.each(BROKER_SIGNING_ALGORITHMS.map((alg) => [alg]))('signJws %s', (alg) => {
  const { privateKey, publicKey } = keyPairFor(alg);
  const other = keyPairFor(alg);
  const claims = { iss: 'https://broker.example', sub: 'alice', jti: 'j-1' };

  it('makes a JWS that jose and the core both verify, whose segments decode back', async () => {
    const jws = coreSign(alg, privateKey, claims);
    expect(await joseAccepts(jws, alg, publicKey)).toBe(true);
    expect(coreAccepts(jws, alg, publicKey)).toBe(true);
    const parts = splitCompactJws(jws)!;
    expect(decodeJsonSegment(parts.payloadSegment)).toEqual(claims);
    expect(decodeJsonSegment(parts.headerSegment)).toEqual({ alg, typ: 'at+jwt', kid: 'k1' });
  });

  it('verifies what jose signs', async () => {
    const jws = await new CompactSign(Buffer.from(JSON.stringify(claims))).setProtectedHeader({ alg }).sign(privateKey);
    expect(coreAccepts(jws, alg, publicKey)).toBe(true);
  });

  it('agrees with jose that a flipped bit, another key or another algorithm fails', async () => {
    const jws = coreSign(alg, privateKey, claims);
    const tampered = flipLastSignatureBit(jws);
    expect([await joseAccepts(tampered, alg, publicKey), coreAccepts(tampered, alg, publicKey)]).toEqual([false, false]);
    expect([await joseAccepts(jws, alg, other.publicKey), coreAccepts(jws, alg, other.publicKey)]).toEqual([false, false]);
    const otherAlg = alg === 'PS256' ? 'RS256' : alg === 'RS256' ? 'PS256' : alg === 'ES256' ? 'ES384' : 'ES256';
    expect(coreAccepts(jws, otherAlg, publicKey)).toBe(false);
  });
});

describe('decodeJsonSegment', () => {
  it.each([
    ['not base64url of JSON', Buffer.from('not json').toString('base64url')],
    ['a JSON array', b64([1, 2])],
    ['a duplicate member', Buffer.from('{"sub":"a","sub":"b"}').toString('base64url')],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')],
    ['a length of 4n+1', 'abcde'],
  ])('refuses %s', (_label, segment) => {
    expect(decodeJsonSegment(segment)).toBeUndefined();
  });
});
