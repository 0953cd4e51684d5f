import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { mintAssertion } from './mint-assertion';

describe('mintAssertion', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Math.floor(Date.now() / 1000);

  it('signs the RFC 7523 claims with the key, verifiable by its public key', async () => {
    const { assertion, claims } = await mintAssertion({
      key: privateKey,
      alg: 'ES256',
      kid: 'k1',
      iss: 'https://idp.example',
      sub: 'alice',
      aud: 'https://broker.example',
      lifetimeSeconds: 120,
      extraClaims: { email: 'alice@example.com', iss: 'ignored' },
      now,
    });
    const { payload, protectedHeader } = await jwtVerify(assertion, publicKey, {
      issuer: 'https://idp.example',
      audience: 'https://broker.example',
      algorithms: ['ES256'],
      currentDate: new Date(now * 1000),
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k1' });
    expect(payload).toEqual(claims);
    expect(payload).toMatchObject({ sub: 'alice', exp: now + 120, iat: now, email: 'alice@example.com', iss: 'https://idp.example' });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.nbf).toBeUndefined();
  });

  it('fails verification with another key (the signature is real)', async () => {
    const { assertion } = await mintAssertion({ key: privateKey, alg: 'ES256', iss: 'i', sub: 's', aud: 'a', lifetimeSeconds: 60 });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    await expect(jwtVerify(assertion, other)).rejects.toThrow('signature verification failed');
  });

  it('leaves out jti and iat when asked, sets nbf, takes a list audience, and no kid', async () => {
    const { assertion, claims } = await mintAssertion({
      key: privateKey,
      alg: 'ES256',
      iss: 'i',
      sub: 's',
      aud: ['a', 'b'],
      lifetimeSeconds: 60,
      jti: false,
      includeIat: false,
      notBeforeSeconds: 10,
      now,
    });
    expect(claims).toEqual({ iss: 'i', sub: 's', aud: ['a', 'b'], exp: now + 60, nbf: now + 10 });
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'ES256', typ: 'JWT' });
  });

  it('sets the typ header asked for (a client assertion: client-authentication+jwt)', async () => {
    const { assertion, header } = await mintAssertion({ key: privateKey, alg: 'ES256', iss: 'c', sub: 'c', aud: 'a', lifetimeSeconds: 60, typ: 'client-authentication+jwt' });
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'ES256', typ: 'client-authentication+jwt' });
    expect(header.typ).toBe('client-authentication+jwt');
  });

  it('uses a fixed jti and a fresh random one otherwise', async () => {
    const fixed = await mintAssertion({ key: privateKey, alg: 'ES256', iss: 'i', sub: 's', aud: 'a', lifetimeSeconds: 60, jti: 'j-1' });
    expect(fixed.claims.jti).toBe('j-1');
    const first = await mintAssertion({ key: privateKey, alg: 'ES256', iss: 'i', sub: 's', aud: 'a', lifetimeSeconds: 60 });
    const second = await mintAssertion({ key: privateKey, alg: 'ES256', iss: 'i', sub: 's', aud: 'a', lifetimeSeconds: 60 });
    expect(first.claims.jti).not.toBe(second.claims.jti);
  });

  it('signs HS256 with a shared secret (client_secret_jwt)', async () => {
    const secret = new TextEncoder().encode('s'.repeat(43));
    const { assertion } = await mintAssertion({ key: secret, alg: 'HS256', iss: 'c', sub: 'c', aud: 'a', lifetimeSeconds: 60 });
    await expect(jwtVerify(assertion, secret, { algorithms: ['HS256'] })).resolves.toBeDefined();
    expect(createPublicKey(privateKey).type).toBe('public');
  });
});
