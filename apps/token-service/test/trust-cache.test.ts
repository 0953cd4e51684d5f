/**
 * The trust cache against the registry schema in a real Postgres (created by the built
 * issuer-registry's own migrations), rows written with SQL as the registry writes them:
 * full loads, per-entity changes, stale messages ignored, renames, deletions, key
 * versions, revocations, and secrets that do not decrypt (fail closed).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { encryptSecret } from '@trust-broker/secrets';
import { createTestDatabase, generatePartyKey, jwksOf, startNodeProcess, type TestDatabase } from '@trust-broker/testing';
import type { TrustChange } from '@trust-broker/contracts';
import { loadTokenServiceConfig, type TokenServiceConfig } from '../src/config/token-service.config';
import type { PartyKeys } from '../src/trust/party-keys';
import { TrustCache } from '../src/trust/trust-cache.service';
import { ISSUER_REGISTRY_SCRIPT } from './support/broker-environment';

jest.setTimeout(120_000);

let database: TestDatabase;
let db: DataSource;
let config: TokenServiceConfig;
let cache: TrustCache;
const kek = randomBytes(32);

const kidsOf = async (keys: PartyKeys) => (await keys.all()).map((k) => k.kid);
const firstKey = async (keys: PartyKeys) => (await keys.all())[0]!.key;

const change = (entity: TrustChange['entity'], id: string, version: number, op: TrustChange['op'] = 'upsert'): TrustChange => ({
  entity,
  id,
  version,
  op,
  occurred_at: new Date().toISOString(),
});

async function insertIssuer(iss: string, jwks: unknown): Promise<string> {
  const rows: { id: string }[] = await db.query(
    `INSERT INTO registry.issuers (issuer, display_name, jwks, allowed_algorithms, subjects) VALUES ($1, $1, $2, '{ES256}', '{*}') RETURNING id`,
    [iss, jwks],
  );
  const id = rows[0]!.id;
  await db.query(`INSERT INTO registry.party_keys (party_type, party_id, keys, source) VALUES ('issuer', $1, $2, 'inline')`, [id, jwks]);
  return id;
}

beforeAll(async () => {
  database = await createTestDatabase('trustcache');
  const migrate = startNodeProcess(ISSUER_REGISTRY_SCRIPT, { DATABASE_URL: database.url, NODE_ENV: 'test', LOG_LEVEL: 'warn', ADMIN_API_KEY: randomBytes(32).toString('base64url') }, ['migrate']);
  await new Promise<void>((resolve) => migrate.child.once('exit', () => resolve()));
  expect(migrate.child.exitCode).toBe(0);
  db = new DataSource({ type: 'postgres', url: database.url });
  await db.initialize();
  config = loadTokenServiceConfig({ DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: kek.toString('base64') });
  cache = new TrustCache(db, config);
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

it('loads issuers by exact iss, with keys imported once per version', async () => {
  const key = await generatePartyKey('ES256', 'k1');
  const id = await insertIssuer('https://a.example', jwksOf(key));
  await cache.reloadAll();
  const issuer = cache.findActiveIssuer('https://a.example')!;
  expect(issuer.row.id).toBe(id);
  expect(await kidsOf(issuer.keys)).toEqual(['k1']);
  expect(cache.findActiveIssuer('https://a.example/')).toBeUndefined();
  await cache.reloadAll();
  // Same key set version: the very same imported key objects.
  expect(await firstKey(cache.findActiveIssuer('https://a.example')!.keys)).toBe(await firstKey(issuer.keys));
});

it('applies a change to one issuer, ignores a stale message, follows a rename and a deletion', async () => {
  const key = await generatePartyKey('ES256');
  const id = await insertIssuer('https://b.example', jwksOf(key));
  await cache.applyChange(change('issuer', id, 1));
  expect(cache.findActiveIssuer('https://b.example')).toBeDefined();

  await db.query(`UPDATE registry.issuers SET status = 'disabled', version = 2 WHERE id = $1`, [id]);
  await cache.applyChange(change('issuer', id, 1)); // stale: version 1 is what we hold
  expect(cache.findActiveIssuer('https://b.example')).toBeDefined();
  await cache.applyChange(change('issuer', id, 2));
  expect(cache.findActiveIssuer('https://b.example')).toBeUndefined();

  await db.query(`UPDATE registry.issuers SET status = 'active', issuer = 'https://b2.example', version = 3 WHERE id = $1`, [id]);
  await cache.applyChange(change('issuer', id, 3));
  expect(cache.findActiveIssuer('https://b2.example')?.row.id).toBe(id);
  expect(cache.findActiveIssuer('https://b.example')).toBeUndefined();

  await db.query(`DELETE FROM registry.issuers WHERE id = $1`, [id]);
  await cache.applyChange(change('issuer', id, 4, 'delete'));
  expect(cache.findActiveIssuer('https://b2.example')).toBeUndefined();
});

it('reloads a party key set on issuer_keys and wakes the requests waiting for it', async () => {
  const first = await generatePartyKey('ES256', 'old');
  const id = await insertIssuer('https://c.example', jwksOf(first));
  await cache.applyChange(change('issuer', id, 1));
  const before = cache.keysVersion('issuer', id);
  const waiting = cache.waitForKeysChange('issuer', id, before, 10_000);

  const second = await generatePartyKey('ES256', 'new');
  await db.query(`UPDATE registry.party_keys SET keys = $2, version = version + 1 WHERE party_type = 'issuer' AND party_id = $1`, [id, jwksOf(second)]);
  await cache.applyChange(change('issuer_keys', id, before + 1));
  expect(await waiting).toBe(true);
  expect(await kidsOf(cache.findActiveIssuer('https://c.example')!.keys)).toEqual(['new']);
  expect(await cache.waitForKeysChange('issuer', id, cache.keysVersion('issuer', id), 50)).toBe(false);
});

it('carries the refresh-token settings of an issuer (defaults, then a change)', async () => {
  const key = await generatePartyKey('ES256');
  const id = await insertIssuer('https://refresh.example', jwksOf(key));
  await cache.applyChange(change('issuer', id, 1));
  expect(cache.findActiveIssuer('https://refresh.example')!.row).toMatchObject({ refresh_tokens: false, refresh_token_ttl_s: 86_400 });
  await db.query(`UPDATE registry.issuers SET refresh_tokens = true, refresh_token_ttl_s = 3600, version = 2 WHERE id = $1`, [id]);
  await cache.applyChange(change('issuer', id, 2));
  expect(cache.findActiveIssuer('https://refresh.example')!.row).toMatchObject({ refresh_tokens: true, refresh_token_ttl_s: 3600 });
});

it('refuses issuers past expires_at', async () => {
  const key = await generatePartyKey('ES256');
  const id = await insertIssuer('https://d.example', jwksOf(key));
  await db.query(`UPDATE registry.issuers SET expires_at = now() - interval '1 second', version = 2 WHERE id = $1`, [id]);
  await cache.applyChange(change('issuer', id, 2));
  expect(cache.findActiveIssuer('https://d.example')).toBeUndefined();
});

it('decrypts client secrets once; a secret under another key authenticates nobody', async () => {
  const good = `c-${randomUUID()}`;
  const bad = `c-${randomUUID()}`;
  const secret = 's'.repeat(43);
  await db.query(
    `INSERT INTO registry.clients (client_id, token_endpoint_auth_method, secret_ciphertext) VALUES ($1, 'client_secret_jwt', $2), ($3, 'client_secret_basic', $4)`,
    [good, encryptSecret(kek, secret, `client_secret:${good}`), bad, encryptSecret(randomBytes(32), secret, `client_secret:${bad}`)],
  );
  await cache.reloadAll();
  expect(cache.findClient(good)!.secret!.toString('utf8')).toBe(secret);
  expect(cache.findClient(good)!.assertionPolicy!.allowedAlgorithms).toEqual(['HS256', 'HS384', 'HS512']);
  expect(cache.findClient(bad)!.secret).toBeUndefined();
});

it('applies client assertion revocations by jti and by kid', async () => {
  const key = await generatePartyKey('ES256', 'ck');
  const clientId = `c-${randomUUID()}`;
  await db.query(`INSERT INTO registry.clients (client_id, token_endpoint_auth_method, jwks) VALUES ($1, 'private_key_jwt', $2)`, [clientId, jwksOf(key)]);
  await db.query(`INSERT INTO registry.party_keys (party_type, party_id, keys, source) VALUES ('client', $1, $2, 'inline')`, [clientId, jwksOf(key)]);
  await cache.applyChange(change('client', clientId, 1));
  const isRevoked = () => cache.findClient(clientId)!.assertionPolicy!.isRevoked!;
  expect(isRevoked()({ jti: 'j1', kid: 'ck' })).toBe(false);

  await db.query(`INSERT INTO registry.assertion_revocations (client_id, jti) VALUES ($1, 'j1')`, [clientId]);
  await cache.applyChange(change('assertion_revocation', clientId, 1));
  expect(isRevoked()({ jti: 'j1' })).toBe(true);
  expect(isRevoked()({ jti: 'j2', kid: 'other' })).toBe(false);

  await db.query(`INSERT INTO registry.assertion_revocations (client_id, kid) VALUES ($1, 'ck')`, [clientId]);
  await cache.applyChange(change('assertion_revocation', clientId, 2));
  expect(isRevoked()({ jti: 'j3', kid: 'ck' })).toBe(true);
  // The keys survive a revocation change.
  expect(await kidsOf(cache.findClient(clientId)!.keys)).toEqual(['ck']);
});

it('keeps serving the last good state when Postgres fails', async () => {
  const ownPool = new DataSource({ type: 'postgres', url: database.url });
  await ownPool.initialize();
  const own = new TrustCache(ownPool, config);
  await own.reloadAll();
  expect(own.findActiveIssuer('https://a.example')).toBeDefined();
  await ownPool.destroy(); // every query fails from now on
  await expect(own.reloadAll()).rejects.toThrow();
  await expect(own.applyChange(change('issuer', randomUUID(), 99))).rejects.toThrow();
  expect(own.findActiveIssuer('https://a.example')).toBeDefined();
  expect(own.isLoaded()).toBe(true);
});

describe('the periodic reconcile (reloadAll) with no trust-change message', () => {
  it('rebuilds only what changed: an untouched issuer keeps its very cached entry', async () => {
    const key = await generatePartyKey('ES256', 'r1');
    const stayId = await insertIssuer('https://stay.example', jwksOf(key));
    const editId = await insertIssuer('https://edit.example', jwksOf(key));
    await cache.reloadAll();
    const stay = cache.findActiveIssuer('https://stay.example')!;
    const edit = cache.findActiveIssuer('https://edit.example')!;
    expect([stay.row.id, edit.row.id]).toEqual([stayId, editId]);

    await db.query(`UPDATE registry.issuers SET subjects = '{alice}', version = version + 1 WHERE id = $1`, [editId]);
    await cache.reloadAll();
    expect(cache.findActiveIssuer('https://stay.example')).toBe(stay);
    const edited = cache.findActiveIssuer('https://edit.example')!;
    expect(edited).not.toBe(edit);
    expect(edited.row.subjects).toEqual(['alice']);
    // Same key set version: the imported key is reused, not imported again.
    expect(await firstKey(edited.keys)).toBe(await firstKey(edit.keys));
  });

  it('drops deleted issuers and clients, follows renames in either order', async () => {
    const key = await generatePartyKey('ES256');
    const goneId = await insertIssuer('https://gone.example', jwksOf(key));
    const firstId = await insertIssuer('https://first.example', jwksOf(key));
    const secondId = await insertIssuer('https://second.example', jwksOf(key));
    const clientId = `c-${randomUUID()}`;
    await db.query(`INSERT INTO registry.clients (client_id, token_endpoint_auth_method) VALUES ($1, 'none')`, [clientId]);
    await cache.reloadAll();
    expect(cache.findActiveIssuer('https://gone.example')?.row.id).toBe(goneId);
    expect(cache.findClient(clientId)).toBeDefined();

    await db.query(`DELETE FROM registry.issuers WHERE id = $1`, [goneId]);
    await db.query(`DELETE FROM registry.party_keys WHERE party_type = 'issuer' AND party_id = $1`, [goneId]);
    await db.query(`DELETE FROM registry.clients WHERE client_id = $1`, [clientId]);
    // second takes first's name, first moves elsewhere: the reconcile applies both.
    await db.query(`UPDATE registry.issuers SET issuer = 'https://third.example', version = version + 1 WHERE id = $1`, [firstId]);
    await db.query(`UPDATE registry.issuers SET issuer = 'https://first.example', version = version + 1 WHERE id = $1`, [secondId]);
    await cache.reloadAll();
    expect(cache.findActiveIssuer('https://gone.example')).toBeUndefined();
    expect(cache.findClient(clientId)).toBeUndefined();
    expect(cache.findActiveIssuer('https://first.example')?.row.id).toBe(secondId);
    expect(cache.findActiveIssuer('https://third.example')?.row.id).toBe(firstId);
    expect(cache.findActiveIssuer('https://second.example')).toBeUndefined();
  });

  it('picks up a new key set version and wakes the requests waiting for it', async () => {
    const first = await generatePartyKey('ES256', 'before');
    const id = await insertIssuer('https://rekey.example', jwksOf(first));
    await cache.reloadAll();
    const before = cache.keysVersion('issuer', id);
    const waiting = cache.waitForKeysChange('issuer', id, before, 10_000);
    const second = await generatePartyKey('ES256', 'after');
    await db.query(`UPDATE registry.party_keys SET keys = $2, version = version + 1 WHERE party_type = 'issuer' AND party_id = $1`, [id, jwksOf(second)]);
    await cache.reloadAll();
    expect(await waiting).toBe(true);
    expect(await kidsOf(cache.findActiveIssuer('https://rekey.example')!.keys)).toEqual(['after']);
  });

  it('picks up a new assertion revocation of a client', async () => {
    const key = await generatePartyKey('ES256', 'rk');
    const clientId = `c-${randomUUID()}`;
    await db.query(`INSERT INTO registry.clients (client_id, token_endpoint_auth_method, jwks) VALUES ($1, 'private_key_jwt', $2)`, [clientId, jwksOf(key)]);
    await db.query(`INSERT INTO registry.party_keys (party_type, party_id, keys, source) VALUES ('client', $1, $2, 'inline')`, [clientId, jwksOf(key)]);
    await cache.reloadAll();
    const isRevoked = () => cache.findClient(clientId)!.assertionPolicy!.isRevoked!;
    expect(isRevoked()({ jti: 'r1' })).toBe(false);
    await db.query(`INSERT INTO registry.assertion_revocations (client_id, jti) VALUES ($1, 'r1')`, [clientId]);
    await cache.reloadAll();
    expect(isRevoked()({ jti: 'r1' })).toBe(true);
    expect(await kidsOf(cache.findClient(clientId)!.keys)).toEqual(['rk']);
  });

  it('reads a party changed by a message once more at the next reconcile', async () => {
    const key = await generatePartyKey('ES256');
    const id = await insertIssuer('https://msg.example', jwksOf(key));
    await cache.reloadAll();
    // The message is applied, then a later write comes without a message (lost): the reconcile heals it.
    await db.query(`UPDATE registry.issuers SET subjects = '{bob}', version = 2 WHERE id = $1`, [id]);
    await cache.applyChange(change('issuer', id, 2));
    await db.query(`UPDATE registry.issuers SET subjects = '{carol}', version = 2 WHERE id = $1`, [id]);
    await cache.reloadAll();
    expect(cache.findActiveIssuer('https://msg.example')!.row.subjects).toEqual(['carol']);
  });

  it('holds one copy of the key set, imported on first use only, once', async () => {
    const key = await generatePartyKey('ES256', 'held');
    await insertIssuer('https://lean.example', jwksOf(key));
    await cache.reloadAll();
    const issuer = cache.findActiveIssuer('https://lean.example')!;
    expect(issuer.row.jwks).toBeNull();
    expect(issuer.keys.isImported).toBe(false);
    // The rule engine's first lookup imports the keys; later ones answer synchronously, the same objects.
    const first = await issuer.policy.keys.resolve({ alg: 'ES256', kid: 'held' });
    expect(issuer.keys.isImported).toBe(true);
    const again = issuer.policy.keys.resolve({ alg: 'ES256', kid: 'held' });
    expect(Array.isArray(again)).toBe(true);
    expect((again as { key: unknown }[])[0]!.key).toBe((first as { key: unknown }[])[0]!.key);
    expect(issuer.policy.keys.resolve({ alg: 'ES256', kid: 'other' })).toEqual({ unknownKid: true });
    await cache.reloadAll();
    expect(cache.findActiveIssuer('https://lean.example')!.keys).toBe(issuer.keys);
  });

  it('skips unusable members of a key set at import and keeps the usable ones', async () => {
    const key = await generatePartyKey('ES256', 'usable');
    await insertIssuer('https://mixed.example', { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'off-curve' }, ...jwksOf(key).keys] });
    await cache.reloadAll();
    const issuer = cache.findActiveIssuer('https://mixed.example')!;
    expect(await kidsOf(issuer.keys)).toEqual(['usable']);
    expect(issuer.policy.keys.resolve({ alg: 'ES256', kid: 'off-curve' })).toEqual({ unknownKid: true });
  });
});

describe('workload federation fields', () => {
  it('resolves accepted_audiences (NULL: this process\'s BROKER_ISSUER) and follows a change of them', async () => {
    const key = await generatePartyKey('ES256');
    const id = await insertIssuer('https://wif.example', jwksOf(key));
    await cache.reloadAll();
    expect(cache.findActiveIssuer('https://wif.example')!.acceptedAudiences).toEqual([config.brokerIssuer]);
    await db.query(`UPDATE registry.issuers SET accepted_audiences = '{sts.example,https://broker.example}', version = 2 WHERE id = $1`, [id]);
    await cache.applyChange(change('issuer', id, 2));
    expect(cache.findActiveIssuer('https://wif.example')!.acceptedAudiences).toEqual(['sts.example', 'https://broker.example']);
  });

  it('loads a federated_jwt client with its credentials, no keys and no assertion policy of its own', async () => {
    const credentials = [{ issuer: 'https://wif.example', subject: 'system:serviceaccount:ci:deployer' }];
    await db.query(
      `INSERT INTO registry.clients (client_id, token_endpoint_auth_method, federated_credentials) VALUES ('wif-client', 'federated_jwt', $1)`,
      [JSON.stringify(credentials)],
    );
    await cache.applyChange(change('client', 'wif-client', 1));
    const client = cache.findClient('wif-client')!;
    expect(client.row.federated_credentials).toEqual(credentials);
    expect(client.assertionPolicy).toBeUndefined();
    expect(client.secret).toBeUndefined();
    expect(await client.keys.all()).toEqual([]);
  });
});
