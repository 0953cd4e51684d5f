import { generateKeyPairSync, sign } from 'node:crypto';
import { compactVerify } from 'jose';
import { createStaticKeyResolver } from './create-static-key-resolver';
import { hmacCandidateKey } from './hmac-candidate-key';
import { importCandidateKeys } from './import-candidate-keys';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const jwk = (pair: { publicKey: import('node:crypto').KeyObject }, extra: Record<string, unknown> = {}) => ({ ...pair.publicKey.export({ format: 'jwk' }), ...extra });

function signRs(alg: 'RS256' | 'PS256'): string {
  const input = `${Buffer.from(JSON.stringify({ alg })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}`;
  const options = alg === 'PS256' ? { key: rsa.privateKey, padding: 6, saltLength: 32 } : rsa.privateKey;
  return `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
}

describe('importCandidateKeys', () => {
  it('imports usable keys with kid, alg and crv, and skips unusable ones', async () => {
    const keys = await importCandidateKeys({
      keys: [
        jwk(rsa, { kid: 'r', alg: 'RS256' }),
        jwk(ec, { kid: 'e' }),
        jwk(ed, { kid: 'd' }),
        jwk(generateKeyPairSync('rsa', { modulusLength: 1024 }), { kid: 'weak' }),
        jwk(ec, { kid: 'enc', use: 'enc' }),
        { kty: 'oct', k: 'c2VjcmV0', kid: 'secret' },
        { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'not-on-curve' },
        'garbage',
      ],
    });
    expect(keys.map((key) => [key.kid, key.kty, key.crv, key.alg])).toEqual([
      ['r', 'RSA', undefined, 'RS256'],
      ['e', 'EC', 'P-256', undefined],
      ['d', 'OKP', 'Ed25519', undefined],
    ]);
  });

  it('gives an empty list for anything that is not a key set', async () => {
    await expect(importCandidateKeys(null)).resolves.toEqual([]);
    await expect(importCandidateKeys({ keys: 'x' })).resolves.toEqual([]);
  });

  it('makes one RSA key usable for both RS256 and PS256 when it declares no alg', async () => {
    const [candidate] = await importCandidateKeys({ keys: [jwk(rsa)] });
    if (candidate === undefined) throw new Error('no key imported');
    await expect(compactVerify(signRs('RS256'), candidate.key, { algorithms: ['RS256'] })).resolves.toBeDefined();
    await expect(compactVerify(signRs('PS256'), candidate.key, { algorithms: ['PS256'] })).resolves.toBeDefined();
  });
});

describe('createStaticKeyResolver', () => {
  it('finds keys by kid, reports an unknown kid, and without kid returns only keys that fit alg', async () => {
    const keys = await importCandidateKeys({ keys: [jwk(rsa, { kid: 'r' }), jwk(ec, { kid: 'e' }), jwk(ed, { kid: 'd' })] });
    const resolver = createStaticKeyResolver(keys);
    expect(await resolver.resolve({ alg: 'ES256', kid: 'e' })).toEqual([keys[1]]);
    expect(await resolver.resolve({ alg: 'ES256', kid: 'missing' })).toEqual({ unknownKid: true });
    expect(await resolver.resolve({ alg: 'RS256' })).toEqual([keys[0]]);
    expect(await resolver.resolve({ alg: 'EdDSA' })).toEqual([keys[2]]);
    expect(await resolver.resolve({ alg: 'HS256' })).toEqual([]);
  });

  it('offers kid-less keys for a kid it does not know, and reports unknown kid when there are none', () => {
    const secret = hmacCandidateKey(new Uint8Array(32));
    expect(createStaticKeyResolver([secret]).resolve({ alg: 'HS256', kid: 'anything' })).toEqual([secret]);
    expect(createStaticKeyResolver([]).resolve({ alg: 'HS256', kid: 'anything' })).toEqual({ unknownKid: true });
  });
});
