import { Logger } from '@nestjs/common';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { decryptSecretToBuffer, SecretDecryptionError } from '@trust-broker/secrets';
import { createTestDatabase, type TestDatabase } from '@trust-broker/testing';
import { TOKEN_MIGRATIONS, TOKEN_SCHEMA } from '../migrations';
import type { AccessTokenClaims } from './access-token.types';
import { AccessTokenSigner } from './access-token-signer.service';
import { BROKER_SIGNING_ALGORITHMS, type BrokerSigningAlgorithm } from '@trust-broker/validation';
import type { SigningKeyRow } from './signing-key';
import type { SigningKeysOptions } from './signing-keys.options';

const ISSUER = 'http://broker.test';

describe('AccessTokenSigner (real Postgres)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const signers: AccessTokenSigner[] = [];
  const keyEncryptionKey = randomBytes(32);
  let nowMs = Date.now();

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    database = await createTestDatabase('signing_keys');
    dataSource = createDataSource({ url: database.url, schema: TOKEN_SCHEMA, migrations: TOKEN_MIGRATIONS, poolSize: 12 });
    await runMigrationsWithLock(dataSource, TOKEN_SCHEMA);
  });

  afterAll(async () => {
    for (const signer of signers) signer.stop();
    await dataSource.destroy();
    await database.drop();
  });

  beforeEach(async () => {
    await dataSource.query('DELETE FROM token.signing_keys');
    nowMs = Date.now();
  });

  function options(overrides: Partial<SigningKeysOptions> = {}): SigningKeysOptions {
    return {
      issuer: ISSUER,
      algorithm: 'ES256',
      keyEncryptionKey,
      rotationSeconds: 1000,
      publishAheadSeconds: 100,
      maxAccessTokenTtlSeconds: 300,
      reloadIntervalMs: 3_600_000, // ticks are driven by hand
      clock: () => nowMs,
      ...overrides,
    };
  }

  async function startSigner(overrides: Partial<SigningKeysOptions> = {}): Promise<AccessTokenSigner> {
    const signer = new AccessTokenSigner(options(overrides), dataSource);
    signers.push(signer);
    await signer.start();
    return signer;
  }

  function claims(overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims {
    const iat = Math.floor(nowMs / 1000);
    return { iss: ISSUER, sub: 'alice', aud: 'https://api.test', exp: iat + 300, iat, jti: randomUUID(), client_id: 'c1', scope: 'read', idp: 'https://idp.test', ...overrides };
  }

  /** Verifies with jose against the published JWKS, as a resource server would. */
  async function verifyWithJose(signer: AccessTokenSigner, token: string) {
    return jwtVerify(token, createLocalJWKSet(signer.publicJwks() as { keys: JWK[] }), {
      issuer: ISSUER,
      typ: 'at+jwt',
      currentDate: new Date(nowMs),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
    });
  }

  async function storedKeys(): Promise<SigningKeyRow[]> {
    return dataSource.query('SELECT * FROM token.signing_keys ORDER BY created_at');
  }

  it.each(BROKER_SIGNING_ALGORITHMS.map((alg) => [alg]))('%s: every token verifies with jose against the published JWKS', async (alg) => {
    const signer = await startSigner({ algorithm: alg as BrokerSigningAlgorithm });
    for (let i = 0; i < 5; i += 1) {
      const token = await signer.sign(claims({ sub: `user-${i}` }));
      const { payload, protectedHeader } = await verifyWithJose(signer, token);
      expect(protectedHeader).toEqual({ alg, kid: signer.activeKid, typ: 'at+jwt' });
      expect(payload).toMatchObject({ sub: `user-${i}`, client_id: 'c1', scope: 'read', idp: 'https://idp.test' });
      expect(await signer.verify(token)).toMatchObject({ sub: `user-${i}` });
    }
    expect(signer.algorithms).toEqual([alg]);
    signer.stop();
  });

  it('publishes public keys only, each with kid, alg and use', async () => {
    const signer = await startSigner();
    const { keys } = signer.publicJwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kid: signer.activeKid, alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys[0]).not.toHaveProperty(member);
  });

  it('stores the private key only encrypted, decryptable only with the KEK and its own kid', async () => {
    const signer = await startSigner();
    const [row] = await storedKeys();
    expect(row!.kid).toBe(signer.activeKid);
    const pkcs8 = decryptSecretToBuffer(keyEncryptionKey, row!.private_ciphertext, `signing_key:${row!.kid}`);
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    const privateJwk = privateKey.export({ format: 'jwk' });
    // The ciphertext holds neither the private scalar nor the PKCS8 bytes in any common encoding.
    for (const encoded of [privateJwk.d!, pkcs8.toString('base64'), pkcs8.toString('base64url'), pkcs8.toString('hex')]) {
      expect(row!.private_ciphertext).not.toContain(encoded);
    }
    expect(JSON.stringify(row!.public_jwk)).not.toContain(privateJwk.d!);
    expect(createPublicKey(privateKey).export({ format: 'jwk' })).toMatchObject({ x: row!.public_jwk.x, y: row!.public_jwk.y });
    expect(() => decryptSecretToBuffer(randomBytes(32), row!.private_ciphertext, `signing_key:${row!.kid}`)).toThrow(SecretDecryptionError);
    expect(() => decryptSecretToBuffer(keyEncryptionKey, row!.private_ciphertext, 'signing_key:another-kid')).toThrow(SecretDecryptionError);
  });

  it('refuses to start when the stored key does not decrypt with the KEK (fail closed)', async () => {
    await startSigner();
    const wrongKek = new AccessTokenSigner(options({ keyEncryptionKey: randomBytes(32) }), dataSource);
    await expect(wrongKek.start()).rejects.toMatchObject({ code: 'signing_key_undecryptable' });
  });

  it('replicas starting together create exactly one active key', async () => {
    const replicas = await Promise.all(Array.from({ length: 6 }, () => startSigner()));
    const rows = await storedKeys();
    expect(rows.filter((row) => row.status === 'active')).toHaveLength(1);
    expect(rows).toHaveLength(1);
    expect(new Set(replicas.map((replica) => replica.activeKid))).toEqual(new Set([rows[0]!.kid]));
  });

  it('the database allows one active key at most, whatever the code does', async () => {
    await startSigner();
    const [row] = await storedKeys();
    await expect(
      dataSource.query(
        `INSERT INTO token.signing_keys (kid, alg, public_jwk, private_ciphertext, status, activated_at) VALUES ('other', 'ES256', '{}', 'x', 'active', now())`,
      ),
    ).rejects.toThrow(/signing_keys_one_active/);
    expect(row!.status).toBe('active');
  });

  it('rotates on schedule: next published ahead of use, retired kept until the longest token lifetime, then dropped', async () => {
    const signer = await startSigner();
    const replica = await startSigner();
    const first = signer.activeKid!;
    const start = nowMs;

    nowMs = start + 899_000;
    await signer.tick();
    expect(signer.publicJwks().keys.map((key) => key.kid)).toEqual([first]);

    // Publish-ahead window: the next key is in the JWKS but does not sign yet.
    nowMs = start + 900_000;
    await signer.tick();
    const published = signer.publicJwks().keys.map((key) => key.kid as string);
    expect(published).toHaveLength(2);
    const second = published[1]!;
    expect(signer.activeKid).toBe(first);
    expect(decodeProtectedHeader(await signer.sign(claims())).kid).toBe(first);
    await replica.tick();
    expect(replica.publicJwks().keys.map((key) => key.kid)).toEqual([first, second]);

    // A token signed with the first key just before the rotation.
    nowMs = start + 999_000;
    const oldToken = await signer.sign(claims());

    nowMs = start + 1_000_000;
    await signer.tick();
    expect(signer.activeKid).toBe(second);
    const newToken = await signer.sign(claims());
    expect(decodeProtectedHeader(newToken).kid).toBe(second);
    expect(signer.publicJwks().keys.map((key) => key.kid)).toEqual([second, first]);
    await verifyWithJose(signer, oldToken);
    await verifyWithJose(signer, newToken);
    const rows = await storedKeys();
    expect(rows.map((row) => [row.kid, row.status])).toEqual([
      [first, 'retired'],
      [second, 'active'],
    ]);
    // Retention: max TTL 300 s + 2 reload intervals + 60 s margin.
    const retention = 300 + 2 * 3600 + 60;
    expect(rows[0]!.expires_at!.getTime() - rows[0]!.retired_at!.getTime()).toBe(retention * 1000);

    // The other replica picks up the rotation on its next reload.
    await replica.tick();
    expect(replica.activeKid).toBe(second);
    expect(await replica.verify(oldToken)).toBeDefined();

    nowMs = start + 1_000_000 + retention * 1000 - 1000;
    await signer.tick();
    expect(signer.publicJwks().keys.map((key) => key.kid)).toContain(first);

    nowMs = start + 1_000_000 + retention * 1000;
    await signer.tick();
    expect(signer.publicJwks().keys.map((key) => key.kid)).not.toContain(first);
    expect((await storedKeys()).map((row) => row.kid)).not.toContain(first);
  });

  it('a changed TOKEN_SIGNING_ALG takes over through a published next key, old tokens still verify', async () => {
    const before = await startSigner({ algorithm: 'ES256' });
    const oldToken = await before.sign(claims());
    before.stop();
    const start = nowMs;
    const after = await startSigner({ algorithm: 'EdDSA' });
    // The next EdDSA key is published at once but signs only after the publish-ahead margin.
    expect(after.publicJwks().keys.map((key) => key.alg)).toEqual(['ES256', 'EdDSA']);
    expect(decodeProtectedHeader(await after.sign(claims())).alg).toBe('ES256');
    nowMs = start + 100_000;
    await after.tick();
    expect(decodeProtectedHeader(await after.sign(claims())).alg).toBe('EdDSA');
    expect(after.algorithms).toEqual(['EdDSA', 'ES256']);
    await verifyWithJose(after, oldToken);
  });

  it('rotates on demand: a new key signs at once, the old one stays published', async () => {
    const signer = await startSigner();
    const first = signer.activeKid!;
    const before = await signer.sign(claims());
    const second = await signer.rotate();
    expect(second).not.toBe(first);
    expect(signer.activeKid).toBe(second);
    expect(decodeProtectedHeader(await signer.sign(claims())).kid).toBe(second);
    expect(signer.publicJwks().keys.map((key) => key.kid)).toEqual([second, first]);
    await verifyWithJose(signer, before);
    expect(await signer.verify(before)).toBeDefined();
  });

  it('refuses to sign a token that would outlive its key in the JWKS', async () => {
    const signer = await startSigner();
    const iat = Math.floor(nowMs / 1000);
    await expect(signer.sign(claims({ exp: iat + 3600 }))).rejects.toMatchObject({ code: 'access_token_outlives_key' });
    await expect(signer.sign(claims({ exp: 1.5 }))).rejects.toMatchObject({ code: 'invalid_access_token_claims' });
  });

  describe('verify accepts only our own valid tokens', () => {
    let signer: AccessTokenSigner;
    beforeEach(async () => {
      signer = await startSigner();
    });

    const foreignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const tamper = (token: string, patch: Record<string, unknown>) => {
      const [header, payload, signature] = token.split('.');
      const claimsSet = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      return [header, Buffer.from(JSON.stringify({ ...claimsSet, ...patch })).toString('base64url'), signature].join('.');
    };
    const withHeader = (token: string, patch: Record<string, unknown>) => {
      const [header, payload, signature] = token.split('.');
      const decoded = JSON.parse(Buffer.from(header!, 'base64url').toString());
      return [Buffer.from(JSON.stringify({ ...decoded, ...patch })).toString('base64url'), payload, signature].join('.');
    };

    const cases: Array<[string, (s: AccessTokenSigner, valid: string) => Promise<string> | string]> = [
      ['empty string', () => ''],
      ['garbage', () => 'not a token'],
      ['two segments', (_s, valid) => valid.split('.').slice(0, 2).join('.')],
      ['four segments', (_s, valid) => `${valid}.x`],
      ['header not JSON', (_s, valid) => `bm90IGpzb24.${valid.split('.')[1]}.${valid.split('.')[2]}`],
      ['oversized', () => 'a'.repeat(20_000)],
      ['tampered claims', (_s, valid) => tamper(valid, { sub: 'mallory' })],
      ['padding appended to the signature', (_s, valid) => `${valid}=`],
      ['a non-base64url character in the signature', (_s, valid) => `${valid.slice(0, -2)}+${valid.slice(-1)}`],
      ['whitespace around it', (_s, valid) => ` ${valid}\n`],
      ['signature of another token', async (s, valid) => {
        const other = await s.sign(claims({ sub: 'bob' }));
        return `${valid.split('.').slice(0, 2).join('.')}.${other.split('.')[2]}`;
      }],
      ['typ changed to JWT', (_s, valid) => withHeader(valid, { typ: 'JWT' })],
      ['alg none', (_s, valid) => `${withHeader(valid, { alg: 'none' }).split('.').slice(0, 2).join('.')}.`],
      ['alg confused to HS256', (_s, valid) => withHeader(valid, { alg: 'HS256' })],
      ['unknown kid', (_s, valid) => withHeader(valid, { kid: 'unknown' })],
      ['signed by a foreign key under our kid', async (s) =>
        new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: s.activeKid!, typ: 'at+jwt' }).sign(foreignKey)],
      ['another issuer', (s) => s.sign(claims({ iss: 'https://evil.test' }))],
      ['expired', (s) => s.sign(claims({ exp: Math.floor(nowMs / 1000) - 1, iat: Math.floor(nowMs / 1000) - 100 }))],
      ['issued in the future', (s) => s.sign(claims({ iat: Math.floor(nowMs / 1000) + 60 }))],
      ['not yet valid', (s) => s.sign(claims({ nbf: Math.floor(nowMs / 1000) + 60 }))],
      ['without jti', (s) => s.sign(claims({ jti: undefined as unknown as string }))],
    ];

    it.each(cases)('%s: undefined', async (_name, makeToken) => {
      const valid = await signer.sign(claims());
      expect(await signer.verify(valid)).toBeDefined();
      expect(await signer.verify(await makeToken(signer, valid))).toBeUndefined();
    });

    it('non-string input: undefined', async () => {
      expect(await signer.verify(undefined as unknown as string)).toBeUndefined();
      expect(await signer.verify({} as unknown as string)).toBeUndefined();
    });
  });
});
