/**
 * Clients' keys and secrets at the real token service (CONTRACT.md, "Admin API": a
 * client's key set may hold keys the broker does not use; RFC 7518 §3.2: an HMAC key at
 * least as long as the hash):
 * - a private_key_jwt client whose key set mixes a usable key with an encryption key and
 *   a 1024-bit RSA key authenticates with the usable key only;
 * - a client_secret_jwt client whose secret has 43 bytes (kept when it moved from
 *   client_secret_basic) authenticates with HS256 but not HS384 or HS512; after a
 *   rotation (86 bytes) HS512 works.
 */
import { generateKeyPairSync, randomUUID, sign as signBytes, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE, eventually, type CreatedClient, postForm, type TokenAnswer } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const broker = useBroker('client-keys');

beforeAll(async () => {
});

const claimsFor = (clientId: string) => ({ iss: clientId, sub: clientId, aud: broker.issuer, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, jti: randomUUID() });

function clientCredentials(clientId: string, clientAssertion: string): Promise<TokenAnswer> {
  return postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion, client_id: clientId });
}

/** RS256 with node:crypto: jose refuses to sign with an RSA key under 2048 bits. */
function rs256(privateKey: KeyObject, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${signBytes('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

describe('a private_key_jwt client whose key set holds keys the broker cannot use', () => {
  const usable = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const encryption = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  let client: CreatedClient;

  beforeAll(async () => {
    client = await broker.admin.createClient({
      token_endpoint_auth_method: 'private_key_jwt',
      scope: 'read',
      jwks: {
        keys: [
          { ...encryption.publicKey.export({ format: 'jwk' }), kid: 'enc', use: 'enc', alg: 'RSA-OAEP' },
          { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256' },
          { ...usable.publicKey.export({ format: 'jwk' }), kid: 'sig' },
        ],
      },
    });
  });

  it('lists the ignored keys and authenticates with the usable one only', async () => {
    const status = (await broker.admin.request('GET', `/v1/clients/${client.client_id}/jwks`)).body as { keys: { kid: string }[]; ignored: { kid: string }[] };
    expect(status.keys.map((key) => key.kid)).toEqual(['sig']);
    expect(status.ignored.map((entry) => entry.kid)).toEqual(['enc', 'weak']);
    const ok = await eventually(async () => {
      const answer = await clientCredentials(client.client_id, await new SignJWT(claimsFor(client.client_id)).setProtectedHeader({ alg: 'ES256', kid: 'sig' }).sign(usable.privateKey));
      return answer.status === 200 ? answer : undefined;
    }, 15_000);
    expect(ok.body.scope).toBe('read');
    for (const [key, kid] of [[encryption.privateKey, 'enc'], [weak.privateKey, 'weak'], [encryption.privateKey, undefined], [weak.privateKey, undefined]] as const) {
      const header = kid === undefined ? { alg: 'RS256' } : { alg: 'RS256', kid };
      const refused = await clientCredentials(client.client_id, rs256(key, header, claimsFor(client.client_id)));
      expect([kid, refused.status, refused.body.error]).toEqual([kid, 401, 'invalid_client']);
    }
  });
});

describe('client_secret_jwt secrets as long as the hash (RFC 7518 §3.2)', () => {
  it('refuses HS384 and HS512 with a 43-byte secret, takes HS256, and HS512 after a rotation', async () => {
    const created = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_basic', scope: 'read' });
    await broker.admin.updateClient(created.client_id, { token_endpoint_auth_method: 'client_secret_jwt' });
    const hmac = (secret: string, alg: string) => new SignJWT(claimsFor(created.client_id)).setProtectedHeader({ alg }).sign(Buffer.from(secret, 'utf8'));
    expect(Buffer.byteLength(created.client_secret!)).toBe(43);
    await eventually(async () => (await clientCredentials(created.client_id, await hmac(created.client_secret!, 'HS256'))).status === 200, 15_000);
    for (const alg of ['HS384', 'HS512']) {
      const refused = await clientCredentials(created.client_id, await hmac(created.client_secret!, alg));
      expect([alg, refused.status, refused.body.error]).toEqual([alg, 401, 'invalid_client']);
    }
    const rotated = (await broker.admin.expect<{ client_secret: string }>(200, 'POST', `/v1/clients/${created.client_id}/secret`)).client_secret;
    expect(Buffer.byteLength(rotated)).toBe(86);
    const answer = await eventually(async () => {
      const attempt = await clientCredentials(created.client_id, await hmac(rotated, 'HS512'));
      return attempt.status === 200 ? attempt : undefined;
    }, 15_000);
    expect(answer.body.token_type).toBe('Bearer');
  });
});
