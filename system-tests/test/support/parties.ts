/** Partners and clients registered through the admin API, and waiting until a token service trusts them. */
import { randomUUID } from 'node:crypto';
import {
  assertionClaims,
  CLIENT_ASSERTION_TYPE,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  signAssertion,
  type AdminApi,
  type CreatedClient,
  type CreatedIssuer,
  type PartyKey,
  postForm,
  type TokenAnswer,
} from '@trust-broker/testing';

export interface Partner {
  iss: string;
  key: PartyKey;
  record: CreatedIssuer;
}

export async function registerPartner(admin: AdminApi, fields: Record<string, unknown> = {}, alg = 'ES256'): Promise<Partner> {
  const key = await generatePartyKey(alg);
  const iss = `https://idp-${randomUUID()}.example.com`;
  const record = await admin.createIssuer({ issuer: iss, jwks: jwksOf(key), subjects: ['*'], allowed_scopes: ['read'], ...fields });
  return { iss, key, record };
}

export interface KeyClient {
  clientId: string;
  key: PartyKey;
  record: CreatedClient;
}

export async function registerKeyClient(admin: AdminApi, fields: Record<string, unknown> = {}): Promise<KeyClient> {
  const key = await generatePartyKey('ES256');
  const record = await admin.createClient({
    client_name: 'system test client',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: jwksOf(key),
    grant_types: ['client_credentials', JWT_BEARER_GRANT],
    scope: 'read',
    ...fields,
  });
  return { clientId: record.client_id, key, record };
}

export async function grantAssertion(partner: Partner, audience: string, overrides: Record<string, unknown> = {}): Promise<string> {
  return signAssertion(partner.key, assertionClaims({ iss: partner.iss, sub: 'alice', aud: audience }, overrides));
}

export async function clientAssertion(client: KeyClient, audience: string, overrides: Record<string, unknown> = {}): Promise<string> {
  return signAssertion(client.key, assertionClaims({ iss: client.clientId, sub: client.clientId, aud: audience }, overrides));
}

export function grantForm(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: JWT_BEARER_GRANT, assertion, ...extra };
}

export function clientCredentialsForm(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...extra };
}

/** Polls with fresh assertions until the token service has learnt of the partner (CONTRACT.md: within 2 s). */
export async function untilPartnerTrusted(tokenEndpoint: string, audience: string, partner: Partner): Promise<TokenAnswer> {
  return eventually(async () => {
    const answer = await postForm(tokenEndpoint, grantForm(await grantAssertion(partner, audience)));
    return answer.status === 200 ? answer : undefined;
  }, 20_000, 200);
}

export async function untilClientTrusted(tokenEndpoint: string, audience: string, client: KeyClient): Promise<TokenAnswer> {
  return eventually(async () => {
    const answer = await postForm(tokenEndpoint, clientCredentialsForm(await clientAssertion(client, audience)));
    return answer.status === 200 ? answer : undefined;
  }, 20_000, 200);
}
