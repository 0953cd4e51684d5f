import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { BROKER_SIGNING_ALGORITHMS, splitCompactJws, verifyJwsSignature, type BrokerSigningAlgorithm } from '@trust-broker/validation';
import { CompactJwsWriter, type JwsSigningKey } from './compact-jws-writer';
import { generateKeyPairFor } from './generate-key-pair';

/** What the signer wrote before the writer: string concatenation around the same signature. */
function concatenated(key: JwsSigningKey, payloadJson: string, signature: string): string {
  return `${key.encodedHeaderPrefix}${Buffer.from(payloadJson).toString('base64url')}.${signature}`;
}

async function signingKey(alg: BrokerSigningAlgorithm): Promise<JwsSigningKey & { publicKey: KeyObject }> {
  const { privateKey, publicKey } = await generateKeyPairFor(alg);
  const header = Buffer.from(JSON.stringify({ alg, kid: 'k1', typ: 'at+jwt' })).toString('base64url');
  return { alg, privateKey, publicKey, encodedHeaderPrefix: `${header}.` };
}

describe('CompactJwsWriter', () => {
  it('writes what concatenation wrote, byte for byte (EdDSA signs deterministically)', async () => {
    const key = await signingKey('EdDSA');
    const writer = new CompactJwsWriter();
    for (const payload of ['{"sub":"a"}', '{"sub":"ab"}', '{"sub":"abc"}', JSON.stringify({ sub: 'ünïcødé ✓ 𝄞', scope: 'read write' })]) {
      const token = writer.write(key, payload);
      const input = token.slice(0, token.lastIndexOf('.'));
      const expected = concatenated(key, payload, sign(null, Buffer.from(input), key.privateKey).toString('base64url'));
      expect(token).toBe(expected);
    }
  });

  it.each(BROKER_SIGNING_ALGORITHMS)('%s: the signature verifies over header.payload, and the payload decodes back', async (alg) => {
    const key = await signingKey(alg);
    const writer = new CompactJwsWriter();
    const payload = JSON.stringify({ iss: 'http://broker.test', sub: 'user-1', jti: 'j', n: 1 });
    const token = writer.write(key, payload);
    const [header, body] = token.split('.');
    expect(`${header}.`).toBe(key.encodedHeaderPrefix);
    expect(Buffer.from(body!, 'base64url').toString()).toBe(payload);
    expect(verifyJwsSignature(splitCompactJws(token)!, alg, key.publicKey)).toBe(true);
  });

  it('grows for a payload larger than its buffer, and still writes small tokens right after', async () => {
    const key = await signingKey('EdDSA');
    const writer = new CompactJwsWriter();
    const large = JSON.stringify({ sub: 'x', claims: 'y'.repeat(20_000) });
    const small = '{"sub":"s"}';
    for (const payload of [small, large, small]) {
      const token = writer.write(key, payload);
      const input = token.slice(0, token.lastIndexOf('.'));
      expect(token).toBe(concatenated(key, payload, sign(null, Buffer.from(input), key.privateKey).toString('base64url')));
    }
  });

  it('RSA 4096: the longest signature fits in front of the payload', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
    const key: JwsSigningKey = { alg: 'RS256', privateKey, encodedHeaderPrefix: `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.` };
    const payload = JSON.stringify({ sub: 'z'.repeat(3000) });
    const token = new CompactJwsWriter().write(key, payload);
    const [, body, signature] = token.split('.');
    expect(Buffer.from(signature!, 'base64url')).toHaveLength(512);
    expect(Buffer.from(body!, 'base64url').toString()).toBe(payload);
    expect(verifyJwsSignature(splitCompactJws(token)!, 'RS256', publicKey)).toBe(true);
  });
});
