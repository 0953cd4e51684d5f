/**
 * Attack corpus (SECURITY.md "Assertions"): each forged or hostile assertion, sent to the
 * running token endpoint, gets its exact status and error code, and never a token.
 */
import { createPrivateKey, createSign } from 'node:crypto';
import { CompactEncrypt, exportPKCS8, exportSPKI, FlattenedSign, importJWK, type CryptoKey, type JWK } from 'jose';
import { assertionClaims, CLIENT_ASSERTION_TYPE, generatePartyKey, JWT_BEARER_GRANT, signAssertion, unsecuredJwt, type PartyKey, postForm } from '@trust-broker/testing';
import { grantAssertion, registerKeyClient, registerPartner, untilClientTrusted, untilPartnerTrusted, type KeyClient, type Partner } from './support/parties';
import { startSystem, type System, type TokenService } from './support/system';

let system: System;
let token: TokenService;
let partnerA: Partner;
let partnerB: Partner;
let rsaPartner: Partner;
let client: KeyClient;
let attacker: PartyKey;

beforeAll(async () => {
  system = await startSystem('attacks');
  [token] = system.tokens;
  partnerA = await registerPartner(system.admin);
  partnerB = await registerPartner(system.admin);
  rsaPartner = await registerPartner(system.admin, {}, 'RS256');
  client = await registerKeyClient(system.admin);
  attacker = await generatePartyKey('ES256');
  for (const partner of [partnerA, partnerB, rsaPartner]) await untilPartnerTrusted(token.tokenEndpoint, token.issuer, partner);
  await untilClientTrusted(token.tokenEndpoint, token.issuer, client);
});

afterAll(async () => {
  await system?.stop();
});

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function claimsOf(partner: Partner, overrides: Record<string, unknown> = {}) {
  return assertionClaims({ iss: partner.iss, sub: 'alice', aud: token.issuer }, overrides);
}

/** Signs header and payload texts exactly as given (duplicate members survive), ES256 with `key`. */
async function signRaw(key: PartyKey, headerText: string, payloadText: string): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  const pem = await exportPKCS8(key.privateKey);
  const signature = createSign('SHA256').update(input).sign({ key: createPrivateKey(pem), dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64(signature)}`;
}

async function hs256With(secret: Uint8Array, partner: Partner): Promise<string> {
  return signAssertion({ secret, alg: 'HS256' }, claimsOf(partner), { kid: partner.key.kid });
}

type Case = [label: string, make: () => Promise<string>, description: RegExp];

const grantCases: Case[] = [
  ...['none', 'None', 'NONE', 'nOnE', ' none', 'none '].map(
    (alg): Case => [`alg "${alg}"`, async () => unsecuredJwt(claimsOf(partnerA), alg), /alg|algorithm/i],
  ),
  ['alg none with a signature part', async () => `${unsecuredJwt(claimsOf(partnerA))}${b64('x'.repeat(64))}`, /alg|algorithm|signature/i],
  ['alg none carrying the partner kid', async () => `${b64(JSON.stringify({ alg: 'none', kid: partnerA.key.kid }))}.${b64(JSON.stringify(claimsOf(partnerA)))}.`, /alg|algorithm/i],
  ['HS256 keyed with the partner RSA public key as PEM', async () => hs256With(new TextEncoder().encode(await exportSPKI(await importPublic(rsaPartner.key.publicJwk))), rsaPartner), /alg|algorithm/i],
  ['HS256 keyed with the partner public JWK as JSON', async () => hs256With(new TextEncoder().encode(JSON.stringify(rsaPartner.key.publicJwk)), rsaPartner), /alg|algorithm/i],
  ['an embedded jwk header (the attacker key)', async () => signAssertion(attacker, claimsOf(partnerA), { jwk: attacker.publicJwk as JWK }), /jwk|header/i],
  ['an embedded jwk header carrying the partner kid', async () => signAssertion(attacker, claimsOf(partnerA), { kid: partnerA.key.kid, jwk: attacker.publicJwk as JWK }), /jwk|header/i],
  ['a jku header', async () => signAssertion(attacker, claimsOf(partnerA), { jku: 'https://attacker.example/jwks' }), /jku|header/i],
  ['an x5u header', async () => signAssertion(attacker, claimsOf(partnerA), { x5u: 'https://attacker.example/cert.pem' }), /x5u|header/i],
  ['an x5c header', async () => signAssertion(attacker, claimsOf(partnerA), { x5c: [b64('not a certificate')] }), /x5c|header/i],
  ['a kid with path traversal', async () => signAssertion(attacker, claimsOf(partnerA), { kid: '../../../../etc/passwd' }), /kid|key/i],
  ['a kid with SQL', async () => signAssertion(attacker, claimsOf(partnerA), { kid: "' OR '1'='1'; DROP TABLE registry.issuers; --" }), /kid|key/i],
  // Both signed correctly by the partner: only the header rule can refuse them.
  ['crit naming an unknown extension', async () => signRaw(partnerA.key, JSON.stringify({ alg: 'ES256', kid: partnerA.key.kid, crit: ['x-exotic'], 'x-exotic': true }), JSON.stringify(claimsOf(partnerA))), /crit/i],
  ['b64 false (unencoded payload, RFC 7797)', async () => signRaw(partnerA.key, JSON.stringify({ alg: 'ES256', kid: partnerA.key.kid, b64: false, crit: ['b64'] }), JSON.stringify(claimsOf(partnerA))), /crit|b64/i],
  ['b64 false in the compact unencoded form', async () => {
    const signed = await new FlattenedSign(new TextEncoder().encode(JSON.stringify(claimsOf(partnerA))))
      .setProtectedHeader({ alg: 'ES256', kid: partnerA.key.kid, b64: false, crit: ['b64'] })
      .sign(partnerA.key.privateKey);
    return `${signed.protected}.${signed.payload as string}.${signed.signature}`;
  }, /not base64url|three dot-separated|crit|b64/i],
  ['a nested JWT (cty JWT, a JWT as payload)', async () => {
    const inner = await grantAssertion(partnerA, token.issuer);
    const signed = await new FlattenedSign(new TextEncoder().encode(inner)).setProtectedHeader({ alg: 'ES256', kid: partnerA.key.kid, cty: 'JWT' }).sign(partnerA.key.privateKey);
    return `${signed.protected}.${signed.payload}.${signed.signature}`;
  }, /claims|JSON|cty|nested/i],
  ['a JWE', async () => new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claimsOf(partnerA)))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(new Uint8Array(32)), /encrypt|JWE/i],
  ['a duplicate alg in the header', async () => signRaw(partnerA.key, `{"alg":"ES256","kid":"${partnerA.key.kid}","alg":"none"}`, JSON.stringify(claimsOf(partnerA))), /duplicate/i],
  ['a duplicate sub in the claims', async () => {
    const claims = JSON.stringify(claimsOf(partnerA));
    return signRaw(partnerA.key, JSON.stringify({ alg: 'ES256', kid: partnerA.key.kid }), `${claims.slice(0, -1)},"sub":"admin"}`);
  }, /duplicate/i],
  ['a huge exp', async () => signAssertion(partnerA.key, claimsOf(partnerA, { exp: 1e300 })), /exp|lifetime/i],
  ['an exp beyond safe integers', async () => signAssertion(partnerA.key, claimsOf(partnerA, { exp: Number.MAX_SAFE_INTEGER * 4 })), /exp|lifetime/i],
  ['a non-numeric exp', async () => signAssertion(partnerA.key, claimsOf(partnerA, { exp: 'tomorrow' })), /exp/i],
  ['a numeric-string exp', async () => signAssertion(partnerA.key, claimsOf(partnerA, { exp: String(Math.floor(Date.now() / 1000) + 60) })), /exp/i],
  ['a negative exp', async () => signAssertion(partnerA.key, claimsOf(partnerA, { exp: -1 })), /exp|expired/i],
  ['an assertion for issuer A signed with the key of issuer B (B kid)', async () => signAssertion(partnerB.key, claimsOf(partnerA)), /key|signature|kid/i],
  ['an assertion for issuer A signed with the key of issuer B (no kid)', async () => signAssertion(partnerB.key, claimsOf(partnerA), { kid: undefined }), /key|signature/i],
  ['an assertion for issuer A signed with the key of issuer B under A kid', async () => signAssertion(partnerB.key, claimsOf(partnerA), { kid: partnerA.key.kid }), /signature/i],
];

async function importPublic(jwk: JWK): Promise<CryptoKey> {
  return (await importJWK(jwk, jwk.alg, { extractable: true })) as CryptoKey;
}

describe('grant assertions (RFC 7523 §2.1)', () => {
  it.each(grantCases)('%s: 400 invalid_grant, no token', async (_label, make, description) => {
    const answer = await postForm(token.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await make() });
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
    expect(answer.body.error_description).toMatch(description);
    expect(answer.body.access_token).toBeUndefined();
  });
});

describe('our own access token replayed as an assertion', () => {
  it('as issued (typ at+jwt, iss the broker): 400 invalid_grant', async () => {
    const issued = await untilPartnerTrusted(token.tokenEndpoint, token.issuer, partnerA);
    const answer = await postForm(token.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: String(issued.body.access_token) });
    expect({ status: answer.status, error: answer.body.error, token: answer.body.access_token }).toEqual({ status: 400, error: 'invalid_grant', token: undefined });
  });

  it('as a client assertion: 401 invalid_client', async () => {
    const issued = await untilPartnerTrusted(token.tokenEndpoint, token.issuer, partnerA);
    const answer = await postForm(token.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: String(issued.body.access_token) });
    expect({ status: answer.status, error: answer.body.error, token: answer.body.access_token }).toEqual({ status: 401, error: 'invalid_client', token: undefined });
  });
});

const clientCases: Case[] = [
  ['alg none', async () => unsecuredJwt(assertionClaims({ iss: client.clientId, sub: client.clientId, aud: token.issuer })), /alg|algorithm/i],
  ['an embedded jwk header', async () => signAssertion(attacker, assertionClaims({ iss: client.clientId, sub: client.clientId, aud: token.issuer }), { jwk: attacker.publicJwk as JWK }), /jwk|header/i],
  ['a jku header', async () => signAssertion(attacker, assertionClaims({ iss: client.clientId, sub: client.clientId, aud: token.issuer }), { jku: 'https://attacker.example/jwks' }), /jku|header/i],
  ['signed with a partner key', async () => signAssertion(partnerA.key, assertionClaims({ iss: client.clientId, sub: client.clientId, aud: token.issuer }), { kid: client.key.kid }), /signature/i],
  ['a kid with SQL', async () => signAssertion(attacker, assertionClaims({ iss: client.clientId, sub: client.clientId, aud: token.issuer }), { kid: "x' OR 1=1 --" }), /kid|key/i],
  ['a JWE', async () => new CompactEncrypt(new TextEncoder().encode('{}')).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(new Uint8Array(32)), /encrypt|JWE/i],
];

describe('client assertions (RFC 7523 §2.2)', () => {
  // Refused before the signature verified: the one text of every failed client
  // authentication (whether the client exists is not told); the audit keeps the reason.
  it.each(clientCases)('%s: 401 invalid_client, no token', async (_label, make) => {
    const answer = await postForm(token.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await make() });
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    expect(answer.body.error_description).toBe('client authentication failed');
    expect(answer.body.access_token).toBeUndefined();
  });
});

it('the corpus used no jti of the partner: a fresh valid assertion still works', async () => {
  // Fail-closed checks above must not have broken the partner for honest use.
  const answer = await untilPartnerTrusted(token.tokenEndpoint, token.issuer, partnerA);
  expect(answer.body.token_type).toBe('Bearer');
});
