/**
 * /v1/clients against the real Postgres and Redis: methods and their credentials, secrets
 * (generated, shown once, encrypted at rest, rotated), assertion revocations, every failure path.
 */
import { decryptSecret } from '@trust-broker/secrets';
import { eventually } from '@trust-broker/testing';
import { readAuditEvents } from './support/audit-queue-reader';
import { startRegistry, type RegistryHarness } from './support/registry-harness';
import { privateJwk, publicJwk, unusableJwks } from './support/test-keys';
import { listenForTrustChanges, type TrustChangeListener } from './support/trust-change-listener';

let registry: RegistryHarness;
let changes: TrustChangeListener;
let jwks: { keys: unknown[] };

beforeAll(async () => {
  registry = await startRegistry('clients');
  changes = await listenForTrustChanges(registry.redis.prefix);
  jwks = { keys: [await publicJwk('c-k1')] };
});

afterAll(async () => {
  await changes?.close();
  await registry?.close();
});

async function storedCiphertext(clientId: string): Promise<string | null> {
  const [row] = await registry.sql<{ secret_ciphertext: string | null }>(`SELECT secret_ciphertext FROM registry.clients WHERE client_id = $1`, [clientId]);
  return row!.secret_ciphertext;
}

describe('POST /v1/clients', () => {
  it('creates a private_key_jwt client by default, with a generated client_id and its keys', async () => {
    const res = await registry.call('POST', '/v1/clients', { jwks });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      client_name: null,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: null,
      token_endpoint_auth_signing_alg: null,
      grant_types: ['client_credentials'],
      scope: '',
      client_assertion_reuse: false,
      client_assertion_max_lifetime_s: 300,
      access_token_ttl_s: 600,
      status: 'active',
      version: 1,
    });
    expect(res.body.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).not.toHaveProperty('client_secret');
    expect(await storedCiphertext(res.body.client_id)).toBeNull();
    const keys = await registry.call('GET', `/v1/clients/${res.body.client_id}/jwks`);
    expect(keys.body).toMatchObject({ source: 'inline', keys: [{ kid: 'c-k1' }] });
    await eventually(async () => changes.messages.some((m) => m.entity === 'client' && m.id === res.body.client_id));
    await eventually(async () => changes.messages.some((m) => m.entity === 'client_keys' && m.id === res.body.client_id));
  });

  it.each([
    ['client_secret_basic', 32],
    ['client_secret_post', 32],
    // RFC 7518 §3.2: an HMAC key at least as long as the hash; HS512 needs 64 bytes.
    ['client_secret_jwt', 64],
  ] as const)(
    'generates a secret for %s of %i random bytes, shows it once and stores it encrypted',
    async (method, randomBytes) => {
      const clientId = `secret-${method}`;
      const res = await registry.call('POST', '/v1/clients', { client_id: clientId, token_endpoint_auth_method: method });
      expect(res.status).toBe(201);
      const secret: string = res.body.client_secret;
      expect(Buffer.from(secret, 'base64url')).toHaveLength(randomBytes);
      const ciphertext = await storedCiphertext(clientId);
      expect(ciphertext).not.toContain(secret);
      expect(decryptSecret(registry.config.keyEncryptionKey, ciphertext!, `client_secret:${clientId}`)).toBe(secret);
      // bound to its client: the ciphertext does not decrypt as another client's
      expect(() => decryptSecret(registry.config.keyEncryptionKey, ciphertext!, 'client_secret:other')).toThrow();
      const read = await registry.call('GET', `/v1/clients/${clientId}`);
      expect(read.body).not.toHaveProperty('client_secret');
      expect(JSON.stringify(read.body)).not.toContain(secret);
      // the secret is in no audit event
      const events = await eventually(async () => {
        const found = (await readAuditEvents(registry.redis.prefix)).filter((a) => a.event.client_id === clientId);
        return found.length > 0 ? found : undefined;
      });
      expect(JSON.stringify(events)).not.toContain(secret);
      expect(JSON.stringify(events)).not.toContain(ciphertext);
    },
  );

  it('creates a public client for the jwt-bearer grant', async () => {
    const res = await registry.call('POST', '/v1/clients', { token_endpoint_auth_method: 'none', grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] });
    expect(res.status).toBe(201);
    expect(res.body).not.toHaveProperty('client_secret');
  });

  it('registers the refresh_token grant type (CONTRACT.md "Refresh tokens and DPoP")', async () => {
    const res = await registry.call('POST', '/v1/clients', { token_endpoint_auth_method: 'none', grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'refresh_token'] });
    expect(res.status).toBe(201);
    expect(res.body.grant_types).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer', 'refresh_token']);
  });

  it('answers 409 for a client_id registered twice', async () => {
    expect((await registry.call('POST', '/v1/clients', { client_id: 'twice', jwks })).status).toBe(201);
    const again = await registry.call('POST', '/v1/clients', { client_id: 'twice', jwks });
    expect(again.status).toBe(409);
    expect(again.body.error_description).toMatch(/^client_id: /);
  });

  it.each([
    ['private_key_jwt without keys', {}, /^jwks: private_key_jwt needs one key source/],
    ['private_key_jwt with both key sources', { jwks: 'JWKS', jwks_uri: 'https://c.example.com/jwks' }, /^jwks: give exactly one key source/],
    ['keys for a secret method', { token_endpoint_auth_method: 'client_secret_basic', jwks: 'JWKS' }, /^jwks: only private_key_jwt/],
    ['a jwks_uri for a public client', { token_endpoint_auth_method: 'none', jwks_uri: 'https://c.example.com/jwks' }, /^jwks_uri: only private_key_jwt/],
    ['an unknown method', { token_endpoint_auth_method: 'tls_client_auth' }, /^token_endpoint_auth_method: /],
    ['an unknown field', { jwks: 'JWKS', client_secret: 'chosen-by-me' }, /^client_secret: unknown field/],
    ['a private key', { jwks: 'PRIVATE' }, /^jwks\.keys\[0\]\.d: /],
    ['an HMAC alg for private_key_jwt', { jwks: 'JWKS', token_endpoint_auth_signing_alg: 'HS256' }, /^token_endpoint_auth_signing_alg: /],
    ['an RSA alg for client_secret_jwt', { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'RS256' }, /^token_endpoint_auth_signing_alg: /],
    ['an alg for client_secret_basic', { token_endpoint_auth_method: 'client_secret_basic', token_endpoint_auth_signing_alg: 'HS256' }, /^token_endpoint_auth_signing_alg: /],
    ['the none alg', { jwks: 'JWKS', token_endpoint_auth_signing_alg: 'none' }, /^token_endpoint_auth_signing_alg: /],
    ['an unknown grant type', { jwks: 'JWKS', grant_types: ['password'] }, /^grant_types\[0\]: /],
    ['no grant types', { jwks: 'JWKS', grant_types: [] }, /^grant_types: /],
    ['client_credentials for a public client', { token_endpoint_auth_method: 'none' }, /^grant_types: client_credentials needs/],
    ['reuse for a secret_basic client', { token_endpoint_auth_method: 'client_secret_basic', client_assertion_reuse: true }, /^client_assertion_reuse: /],
    ['a long single-use lifetime', { jwks: 'JWKS', client_assertion_max_lifetime_s: 200000 }, /^client_assertion_max_lifetime_s: /],
    ['a bad scope', { jwks: 'JWKS', scope: 'read  write' }, /^scope: /],
    ['a client_id with a space', { client_id: 'a b', jwks: 'JWKS' }, /^client_id: /],
    ['a non-integer ttl', { jwks: 'JWKS', access_token_ttl_s: 1.5 }, /^access_token_ttl_s: /],
  ])('answers 400 for %s', async (_label, body, description) => {
    const resolved = JSON.parse(
      JSON.stringify(body).replace('"JWKS"', JSON.stringify(jwks)).replace('"PRIVATE"', JSON.stringify({ keys: [await privateJwk('p')] })),
    );
    const res = await registry.call('POST', '/v1/clients', resolved);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(description);
  });
});

describe('client keys and secrets a client cannot use', () => {
  it('holds a client key set that mixes usable keys with unusable ones, and lists those under ignored', async () => {
    const { members, kids } = unusableJwks();
    const res = await registry.call('POST', '/v1/clients', { client_id: 'mixed-keys', jwks: { keys: [...members, await publicJwk('c-good')] } });
    expect(res.status).toBe(201);
    const keys = (await registry.call('GET', '/v1/clients/mixed-keys/jwks')).body;
    expect(keys.keys.map((key: { kid: string }) => key.kid)).toEqual(['c-good']);
    expect(keys.ignored.map((entry: { kid: string }) => entry.kid)).toEqual(kids);
  });

  it('updates the ignored list when a patch re-registers the same usable keys beside other members', async () => {
    const good = await publicJwk('c-stay');
    await registry.call('POST', '/v1/clients', { client_id: 'reignore', jwks: { keys: [good] } });
    expect((await registry.call('PATCH', '/v1/clients/reignore', { jwks: { keys: [unusableJwks().members[1], good] } })).status).toBe(200);
    expect((await registry.call('GET', '/v1/clients/reignore/jwks')).body.ignored).toEqual([{ kid: 'rsa-1024', reason: 'n: RSA keys must have at least 2048 bits' }]);
  });

  it('refuses a client key set with no usable signing key, naming jwks', async () => {
    const res = await registry.call('POST', '/v1/clients', { client_id: 'no-usable-keys', jwks: { keys: unusableJwks().members } });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(/^jwks\.keys: no usable signing key \(enc-oaep: /);
  });

  // RFC 7518 §3.2: HS384 and HS512 need secrets of at least 48 and 64 bytes.
  it('refuses HS384 or HS512 for a client whose kept secret is too short, and takes them after a rotation', async () => {
    const created = (await registry.call('POST', '/v1/clients', { client_id: 'hmac-len', token_endpoint_auth_method: 'client_secret_basic' })).body;
    expect(Buffer.byteLength(created.client_secret as string)).toBe(43);
    const toJwt = await registry.call('PATCH', '/v1/clients/hmac-len', { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS512' });
    expect(toJwt.status).toBe(400);
    expect(toJwt.body.error_description).toBe(
      'token_endpoint_auth_signing_alg: HS512 needs a secret of at least 64 bytes (RFC 7518 §3.2) and this client\'s has 43; rotate the secret (POST /v1/clients/hmac-len/secret) first',
    );
    expect((await registry.call('PATCH', '/v1/clients/hmac-len', { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS384' })).status).toBe(400);
    expect((await registry.call('PATCH', '/v1/clients/hmac-len', { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS256' })).status).toBe(200);
    const rotated = (await registry.call('POST', '/v1/clients/hmac-len/secret')).body;
    expect(Buffer.byteLength(rotated.client_secret as string)).toBe(86);
    expect((await registry.call('PATCH', '/v1/clients/hmac-len', { token_endpoint_auth_signing_alg: 'HS512' })).status).toBe(200);
  });
});

describe('client lifecycle', () => {
  it('patches, rotates the secret, switches methods and deletes', async () => {
    const created = (await registry.call('POST', '/v1/clients', { client_id: 'life', token_endpoint_auth_method: 'client_secret_post' })).body;
    const firstCiphertext = await storedCiphertext('life');

    const patched = await registry.call('PATCH', '/v1/clients/life', { client_name: 'Life', scope: 'read write' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ client_name: 'Life', scope: 'read write', version: 2 });
    expect(patched.body).not.toHaveProperty('client_secret');
    expect(await storedCiphertext('life')).toBe(firstCiphertext);

    const rotated = await registry.call('POST', '/v1/clients/life/secret');
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body).sort()).toEqual(['client_id', 'client_secret']);
    expect(rotated.body.client_secret).not.toBe(created.client_secret);
    expect(decryptSecret(registry.config.keyEncryptionKey, (await storedCiphertext('life'))!, 'client_secret:life')).toBe(rotated.body.client_secret);
    await eventually(async () => changes.messages.some((m) => m.entity === 'client' && m.id === 'life' && m.version === 3));

    // to private_key_jwt: the secret is dropped, keys are required
    expect((await registry.call('PATCH', '/v1/clients/life', { token_endpoint_auth_method: 'private_key_jwt' })).status).toBe(400);
    const toKeys = await registry.call('PATCH', '/v1/clients/life', { token_endpoint_auth_method: 'private_key_jwt', jwks });
    expect(toKeys.status).toBe(200);
    expect(await storedCiphertext('life')).toBeNull();
    expect((await registry.call('GET', '/v1/clients/life/jwks')).body.keys).toHaveLength(1);
    expect((await registry.call('POST', '/v1/clients/life/secret')).status).toBe(400);

    // and back to a secret method: a new secret, shown once
    const toSecret = await registry.call('PATCH', '/v1/clients/life', { token_endpoint_auth_method: 'client_secret_basic', jwks: null });
    expect(toSecret.status).toBe(200);
    expect(typeof toSecret.body.client_secret).toBe('string');
    expect((await registry.call('GET', '/v1/clients/life/jwks')).status).toBe(404);
    await eventually(async () => changes.messages.some((m) => m.entity === 'client_keys' && m.id === 'life' && m.op === 'delete'));

    expect((await registry.call('DELETE', '/v1/clients/life')).status).toBe(204);
    expect((await registry.call('GET', '/v1/clients/life')).status).toBe(404);
    await eventually(async () => changes.messages.some((m) => m.entity === 'client' && m.id === 'life' && m.op === 'delete'));
    const actions = await eventually(async () => {
      const events = (await readAuditEvents(registry.redis.prefix)).filter((a) => a.event.client_id === 'life').map((a) => a.event.action);
      return events.includes('deleted') ? events : undefined;
    });
    expect(actions).toEqual(expect.arrayContaining(['created', 'updated', 'secret_rotated', 'deleted']));
  });

  it('records assertion revocations by jti and by kid', async () => {
    await registry.call('POST', '/v1/clients', { client_id: 'revoker', jwks, client_assertion_reuse: true, client_assertion_max_lifetime_s: 2_592_000 });
    const byJti = await registry.call('POST', '/v1/clients/revoker/assertion-revocations', { jti: 'long-lived-1' });
    expect(byJti.status).toBe(201);
    expect(byJti.body).toMatchObject({ client_id: 'revoker', jti: 'long-lived-1', kid: null });
    const byKid = await registry.call('POST', '/v1/clients/revoker/assertion-revocations', { kid: 'c-k1' });
    expect(byKid.status).toBe(201);
    expect(byKid.body).toMatchObject({ jti: null, kid: 'c-k1' });
    expect((await registry.call('POST', '/v1/clients/revoker/assertion-revocations', { jti: 'long-lived-1' })).status).toBe(409);

    const rows = await registry.sql(`SELECT jti, kid FROM registry.assertion_revocations WHERE client_id = 'revoker' ORDER BY created_at`);
    expect(rows).toEqual([{ jti: 'long-lived-1', kid: null }, { jti: null, kid: 'c-k1' }]);
    const messages = await eventually(async () => {
      const found = changes.messages.filter((m) => m.entity === 'assertion_revocation' && m.id === 'revoker');
      return found.length === 2 ? found : undefined;
    });
    expect(messages[1]!.version).toBeGreaterThan(messages[0]!.version);
    const audit = await eventually(async () => (await readAuditEvents(registry.redis.prefix)).filter((a) => a.event.action === 'assertion_revoked' && a.event.client_id === 'revoker').length === 2);
    expect(audit).toBe(true);
    expect(JSON.stringify(await readAuditEvents(registry.redis.prefix))).not.toContain('long-lived-1');
  });

  it.each([
    ['neither jti nor kid', {}, /^jti: give exactly one/],
    ['both jti and kid', { jti: 'a', kid: 'b' }, /^jti: give exactly one/],
    ['an empty jti', { jti: '' }, /^jti: /],
    ['an unknown field', { jti: 'a', reason: 'x' }, /^reason: unknown field/],
  ])('a revocation answers 400 for %s', async (_label, body, description) => {
    await registry.call('POST', '/v1/clients', { client_id: 'rev400', jwks });
    const res = await registry.call('POST', '/v1/clients/rev400/assertion-revocations', body);
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(description);
  });

  it('refuses a revocation for a client without assertions', async () => {
    await registry.call('POST', '/v1/clients', { client_id: 'basic-rev', token_endpoint_auth_method: 'client_secret_basic' });
    const res = await registry.call('POST', '/v1/clients/basic-rev/assertion-revocations', { jti: 'x' });
    expect(res.status).toBe(400);
  });

  it.each([
    ['GET', '', undefined],
    ['PATCH', '', { client_name: 'x' }],
    ['DELETE', '', undefined],
    ['POST', '/secret', undefined],
    ['POST', '/assertion-revocations', { jti: 'x' }],
    ['GET', '/jwks', undefined],
    ['POST', '/jwks/refresh', undefined],
  ])('%s %s answers 404 for an unknown client', async (method, suffix, body) => {
    const res = await registry.call(method, `/v1/clients/no-such-client${suffix}`, body);
    expect(res.status).toBe(404);
  });

  it.each([
    ['an unknown field', { colour: 'red' }, /^colour: unknown field/],
    ['client_id (immutable)', { client_id: 'other' }, /^client_id: unknown field/],
    ['both key sources', { jwks: 'JWKS', jwks_uri: 'https://c.example.com/jwks' }, /exactly one key source/],
  ])('PATCH answers 400 for %s', async (_label, patch, description) => {
    await registry.call('POST', '/v1/clients', { client_id: 'patch400', jwks });
    const resolved = JSON.parse(JSON.stringify(patch).replace('"JWKS"', JSON.stringify(jwks)));
    const res = await registry.call('PATCH', '/v1/clients/patch400', resolved);
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(description);
  });

  it('answers 401 without the admin credential', async () => {
    for (const [method, path] of [['GET', '/v1/clients'], ['POST', '/v1/clients'], ['POST', '/v1/clients/x/secret'], ['POST', '/v1/clients/x/assertion-revocations']] as const) {
      expect((await fetch(`${registry.url}${path}`, { method })).status).toBe(401);
      expect((await fetch(`${registry.url}${path}`, { method, headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    }
  });

  it('pages through clients', async () => {
    for (let i = 0; i < 5; i++) await registry.call('POST', '/v1/clients', { client_id: `page-${i}`, jwks });
    const total = Number((await registry.sql<{ n: string }>(`SELECT count(*) AS n FROM registry.clients`))[0]!.n);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await registry.call('GET', `/v1/clients?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((c: { client_id: string }) => c.client_id));
      cursor = res.body.next_cursor;
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toHaveLength(total);
    expect((await registry.call('GET', '/v1/clients?cursor=%%%')).status).toBe(400);
    expect((await registry.call('GET', '/v1/clients?limit=0')).status).toBe(400);
  });
});

describe('/v1/clients/{client_id}/refresh-tokens (the families live in token-service\'s schema)', () => {
  it('answers 404 for an unknown client, and 503 while token-service has not migrated its schema', async () => {
    expect((await registry.call('GET', '/v1/clients/no-such-client/refresh-tokens')).status).toBe(404);
    expect((await registry.call('DELETE', '/v1/clients/no-such-client/refresh-tokens')).status).toBe(404);
    const client = (await registry.call('POST', '/v1/clients', { token_endpoint_auth_method: 'none', grant_types: ['refresh_token'] })).body;
    for (const method of ['GET', 'DELETE'] as const) {
      const answer = await registry.call(method, `/v1/clients/${client.client_id}/refresh-tokens`);
      expect([answer.status, answer.body.error]).toEqual([503, 'temporarily_unavailable']);
    }
    expect((await fetch(`${registry.url}/v1/clients/${client.client_id}/refresh-tokens`)).status).toBe(401);
  });
});
