/**
 * RFC 8693 token exchange against the real processes, Postgres and Redis (CONTRACT.md
 * "Token exchange"): every case of the contract's section for subject tokens of trusted
 * issuers (`jwt`, `id_token`) and actor tokens, with their status and code, the issued
 * token's claims, and the one audit event per exchange that holds the subject token only
 * as its hash.
 */
import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import {
  basicAuthorization,
  generatePartyKey,
  jwksOf,
  nowSeconds,
  postForm,
  signAssertion,
  unsecuredJwt,
  TOKEN_EXCHANGE_GRANT,
  TOKEN_TYPES,
  type CreatedClient,
  type CreatedIssuer,
  type PartyKey,
} from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const CI_ISSUER = 'https://ci.partner.example';
const IDP_ISSUER = 'https://login.partner.example';
const STS_AUDIENCE = 'https://sts.broker.example';

const broker = useBroker('token-exchange');
let ciKey: PartyKey;
let idpKey: PartyKey;
let idpIssuer: CreatedIssuer;
let confidential: CreatedClient;

beforeAll(async () => {
  ciKey = await generatePartyKey('ES256', 'ci-1');
  idpKey = await generatePartyKey('RS256', 'idp-1');
  await broker.admin.createIssuer({
    issuer: CI_ISSUER,
    jwks: jwksOf(ciKey),
    subjects: ['*'],
    condition: "claims.repository_owner == 'acme'",
    accepted_audiences: [STS_AUDIENCE],
    allowed_scopes: ['deploy', 'read'],
    audiences: ['https://api.acme.example', 'https://billing.acme.example'],
    claim_mappings: { repository: 'claims.repository' },
    access_token_ttl_s: 300,
  });
  idpIssuer = await broker.admin.createIssuer({
    issuer: IDP_ISSUER,
    jwks: jwksOf(idpKey),
    subjects: ['*'],
    // An ID token's aud is the client id at the partner's IdP.
    accepted_audiences: ['broker-at-partner'],
    allowed_scopes: ['read'],
  });
  confidential = await broker.admin.createClient({
    client_id: 'exchanger',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [TOKEN_EXCHANGE_GRANT],
    scope: 'deploy read',
  });
  // The new issuers reach the token service through the trust-change channel.
  await waitForExchange(async () => exchange({ subject_token: await ciToken() }));
});

async function waitForExchange(attempt: () => Promise<{ status: number }>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await attempt()).status !== 200) {
    if (Date.now() > deadline) throw new Error('the trust did not reach the token service');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A GitHub-Actions-shaped OIDC token of the CI issuer. */
function ciToken(overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: PartyKey = ciKey): Promise<string> {
  const now = nowSeconds();
  const claims: Record<string, unknown> = {
    iss: CI_ISSUER,
    sub: 'repo:acme/api:ref:refs/heads/main',
    aud: STS_AUDIENCE,
    repository: 'acme/api',
    repository_owner: 'acme',
    iat: now,
    nbf: now,
    exp: now + 240,
    jti: randomUUID(),
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return signAssertion(key, claims, header);
}

function idToken(overrides: Record<string, unknown> = {}): Promise<string> {
  const now = nowSeconds();
  return signAssertion(idpKey, { iss: IDP_ISSUER, sub: 'user-42', aud: 'broker-at-partner', iat: now, exp: now + 120, nonce: 'n', ...overrides });
}

function exchange(parameters: Record<string, string | string[]>, headers: Record<string, string> = {}) {
  const body = new URLSearchParams();
  body.append('grant_type', TOKEN_EXCHANGE_GRANT);
  if (!('subject_token_type' in parameters)) body.append('subject_token_type', TOKEN_TYPES.jwt);
  for (const [name, value] of Object.entries(parameters)) for (const item of [value].flat()) body.append(name, item);
  return postForm(broker.tokenEndpoint, body.toString(), headers);
}

const asConfidential = () => ({ authorization: basicAuthorization(confidential.client_id, confidential.client_secret!) });

describe('subject tokens of trusted issuers', () => {
  it('exchanges a CI job OIDC token for a broker token, with no secret anywhere', async () => {
    const token = await ciToken();
    const answer = await exchange({ subject_token: token });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({ issued_token_type: TOKEN_TYPES.accessToken, token_type: 'Bearer', expires_in: 300, scope: 'deploy read' });
    const claims = decodeJwt(answer.body.access_token as string);
    expect(claims).toMatchObject({
      iss: broker.issuer,
      sub: 'repo:acme/api:ref:refs/heads/main',
      idp: CI_ISSUER,
      aud: ['https://api.acme.example', 'https://billing.acme.example'],
      scope: 'deploy read',
      repository: 'acme/api',
    });
    expect(claims.client_id).toBeUndefined();
    expect(claims.act).toBeUndefined();
  });

  it('exchanges the same subject token again until it expires (not single-use, require_jti does not apply)', async () => {
    const token = await ciToken({ jti: undefined });
    for (let i = 0; i < 3; i++) expect((await exchange({ subject_token: token })).status).toBe(200);
  });

  it('exchanges an ID token whose aud is the client id at the partner IdP, as a confidential client', async () => {
    const answer = await exchange({ subject_token: await idToken(), subject_token_type: TOKEN_TYPES.idToken, scope: 'read' }, asConfidential());
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ sub: 'user-42', idp: IDP_ISSUER, client_id: 'exchanger', scope: 'read', aud: broker.issuer });
  });

  it('narrows scope and audience on request, with several audience and resource values', async () => {
    const answer = await exchange({
      subject_token: await ciToken(),
      scope: 'read',
      audience: ['https://api.acme.example'],
      resource: ['https://billing.acme.example'],
    });
    expect(answer.status).toBe(200);
    const claims = decodeJwt(answer.body.access_token as string);
    expect(claims.scope).toBe('read');
    expect(claims.aud).toEqual(['https://billing.acme.example', 'https://api.acme.example']);
    const two = await exchange({ subject_token: await ciToken(), audience: ['https://api.acme.example', 'https://billing.acme.example'] });
    expect(two.status).toBe(200);
    expect(decodeJwt(two.body.access_token as string).aud).toEqual(['https://api.acme.example', 'https://billing.acme.example']);
  });

  it.each([
    ['no subject_token', async () => ({ subject_token_type: TOKEN_TYPES.jwt }), 'token_exchange_parameter_missing'],
    ['no subject_token_type', async () => ({ subject_token: await ciToken(), subject_token_type: '' }), 'token_exchange_parameter_missing'],
    ['an unknown subject_token_type', async () => ({ subject_token: await ciToken(), subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }), 'token_type_unsupported'],
    ['a requested_token_type other than access_token', async () => ({ subject_token: await ciToken(), requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), 'token_type_unsupported'],
    ['actor_token without actor_token_type', async () => ({ subject_token: await ciToken(), actor_token: await idToken() }), 'token_exchange_parameter_missing'],
    ['actor_token_type without actor_token', async () => ({ subject_token: await ciToken(), actor_token_type: TOKEN_TYPES.jwt }), 'token_exchange_parameter_missing'],
    ['a repeated subject_token', async () => ({ subject_token: [await ciToken(), await ciToken()] }), 'parameter_repeated'],
    ['a subject token that is not a JWT', async () => ({ subject_token: 'opaque-token' }), 'assertion_malformed'],
    ['an unsigned subject token', async () => ({ subject_token: unsecuredJwt({ iss: CI_ISSUER, sub: 'x', aud: STS_AUDIENCE, exp: nowSeconds() + 60 }) }), 'alg_none'],
    ['an untrusted issuer', async () => ({ subject_token: await ciToken({ iss: 'https://evil.example' }) }), 'issuer_unknown'],
    ['an expired subject token', async () => ({ subject_token: await ciToken({ iat: nowSeconds() - 300, nbf: nowSeconds() - 300, exp: nowSeconds() - 100 }) }), 'assertion_expired'],
    ['a lifetime over the issuer maximum', async () => ({ subject_token: await ciToken({ exp: nowSeconds() + 3600 }) }), 'lifetime_exceeded'],
    ['aud the broker (not an accepted audience)', async () => ({ subject_token: await ciToken({ aud: broker.issuer }) }), 'audience_mismatch'],
    ["a key that is not the issuer's", async () => ({ subject_token: await ciToken({}, {}, await generatePartyKey('ES256', 'ci-1')) }), 'signature_invalid'],
    ['a condition that fails', async () => ({ subject_token: await ciToken({ repository_owner: 'mallory' }) }), 'condition_failed'],
  ])('answers 400 invalid_request for %s', async (_label, parameters, reason) => {
    const requestId = randomUUID();
    const answer = await exchange(await parameters(), { 'x-request-id': requestId });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    const [event] = await eventuallyEvents(requestId);
    // A body that does not parse has no grant type yet.
    expect(event).toMatchObject({ type: 'token', outcome: 'failure', reason, grant_type: reason === 'parameter_repeated' ? null : TOKEN_EXCHANGE_GRANT });
  });

  it('answers 400 invalid_target for an audience or resource the issuer does not allow, one among several included', async () => {
    const refusedTargets: Record<string, string | string[]>[] = [{ audience: 'https://elsewhere.example' }, { resource: ['https://api.acme.example', 'https://elsewhere.example'] }, { resource: 'not-a-uri' }];
    for (const parameters of refusedTargets) {
      const answer = await exchange({ subject_token: await ciToken(), ...parameters });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_target');
    }
  });

  it('answers 400 invalid_scope for a scope the issuer or the client does not allow', async () => {
    expect((await exchange({ subject_token: await ciToken(), scope: 'admin' })).body.error).toBe('invalid_scope');
    // The IdP allows read only.
    const answer = await exchange({ subject_token: await idToken(), subject_token_type: TOKEN_TYPES.idToken, scope: 'deploy' }, asConfidential());
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_scope');
  });

  it('answers 401 invalid_client for failed client authentication, and 400 unauthorized_client for a client without the grant', async () => {
    const wrong = await exchange({ subject_token: await ciToken() }, { authorization: basicAuthorization('exchanger', 'wrong-secret') });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const other = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'] });
    const send = async () => exchange({ subject_token: await ciToken(), client_id: other.client_id, client_secret: other.client_secret! });
    // The new client reaches the token service through the trust-change channel.
    await waitForExchange(async () => ({ status: (await send()).status === 401 ? 0 : 200 }));
    const refused = await send();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('unauthorized_client');
  });

  it('applies require_client_auth (401 invalid_client) and allowed_client_ids (400 invalid_request) of the issuer', async () => {
    await broker.admin.updateIssuer(idpIssuer.id, { require_client_auth: true, allowed_client_ids: ['someone-else'] });
    try {
      await waitForExchange(async () => {
        const answer = await exchange({ subject_token: await idToken(), subject_token_type: TOKEN_TYPES.idToken });
        return { status: answer.status === 401 ? 200 : 0 };
      });
      const anonymous = await exchange({ subject_token: await idToken(), subject_token_type: TOKEN_TYPES.idToken });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error).toBe('invalid_client');
      const notListed = await exchange({ subject_token: await idToken(), subject_token_type: TOKEN_TYPES.idToken }, asConfidential());
      expect(notListed.status).toBe(400);
      expect(notListed.body).toMatchObject({ error: 'invalid_request' });
    } finally {
      await broker.admin.updateIssuer(idpIssuer.id, { require_client_auth: false, allowed_client_ids: [] });
    }
  });

  it('refuses the subject tokens of a disabled issuer within 2 s, and takes them again once enabled', async () => {
    const token = await idToken({ exp: nowSeconds() + 100 });
    await broker.admin.updateIssuer(idpIssuer.id, { status: 'disabled' });
    const started = Date.now();
    await waitForExchange(async () => {
      const answer = await exchange({ subject_token: token, subject_token_type: TOKEN_TYPES.idToken }, asConfidential());
      return { status: answer.status === 400 && answer.body.error === 'invalid_request' ? 200 : 0 };
    });
    expect(Date.now() - started).toBeLessThan(2000);
    await broker.admin.updateIssuer(idpIssuer.id, { status: 'active' });
    await waitForExchange(() => exchange({ subject_token: token, subject_token_type: TOKEN_TYPES.idToken }, asConfidential()));
  });
});

describe('actor tokens', () => {
  it('issues act {sub, iss} of the actor, with the subject token act nested inside', async () => {
    const subject = await idToken({ act: { sub: 'earlier-actor', iss: 'https://earlier.example' } });
    const actor = await ciToken();
    const answer = await exchange({ subject_token: subject, subject_token_type: TOKEN_TYPES.idToken, actor_token: actor, actor_token_type: TOKEN_TYPES.jwt, scope: 'read' }, asConfidential());
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({
      sub: 'user-42',
      act: { sub: 'repo:acme/api:ref:refs/heads/main', iss: CI_ISSUER, act: { sub: 'earlier-actor', iss: 'https://earlier.example' } },
    });
  });

  it('admits only the actor that may_act names (sub, and iss where named)', async () => {
    const actor = await ciToken();
    const send = async (mayAct: unknown) =>
      exchange({ subject_token: await idToken({ may_act: mayAct }), subject_token_type: TOKEN_TYPES.idToken, actor_token: actor, actor_token_type: TOKEN_TYPES.jwt, scope: 'read' }, asConfidential());
    expect((await send({ sub: 'repo:acme/api:ref:refs/heads/main' })).status).toBe(200);
    expect((await send({ sub: 'repo:acme/api:ref:refs/heads/main', iss: CI_ISSUER })).status).toBe(200);
    for (const refusedMayAct of [{ sub: 'someone-else' }, { sub: 'repo:acme/api:ref:refs/heads/main', iss: 'https://other.example' }, 'repo:acme/api:ref:refs/heads/main']) {
      const answer = await send(refusedMayAct);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
  });

  it('refuses an invalid actor token as invalid_request', async () => {
    const answer = await exchange({ subject_token: await ciToken(), actor_token: await ciToken({ aud: 'https://elsewhere.example' }), actor_token_type: TOKEN_TYPES.jwt });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
  });
});

describe('broker access tokens as subject tokens', () => {
  /** A broker token of the confidential client, from a CI token: scope "deploy read", two audiences. */
  async function brokerToken(): Promise<string> {
    const answer = await exchange({ subject_token: await ciToken() }, asConfidential());
    expect(answer.status).toBe(200);
    return answer.body.access_token as string;
  }

  it('trades a broker token down: narrower scope and audience, exp no later, sub, idp and mapped claims kept', async () => {
    const subject = await brokerToken();
    const held = decodeJwt(subject);
    const answer = await exchange({ subject_token: subject, subject_token_type: TOKEN_TYPES.accessToken, scope: 'read', audience: 'https://api.acme.example' }, asConfidential());
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ issued_token_type: TOKEN_TYPES.accessToken, scope: 'read' });
    const claims = decodeJwt(answer.body.access_token as string);
    expect(claims).toMatchObject({ sub: held.sub, idp: CI_ISSUER, aud: 'https://api.acme.example', scope: 'read', repository: 'acme/api', client_id: 'exchanger' });
    expect(claims.exp!).toBeLessThanOrEqual(held.exp!);
    expect(claims.jti).not.toBe(held.jti);
    // Nothing requested: what it had.
    const same = decodeJwt((await exchange({ subject_token: subject, subject_token_type: TOKEN_TYPES.accessToken }, asConfidential())).body.access_token as string);
    expect(same).toMatchObject({ scope: 'deploy read', aud: held.aud });
  });

  it('never widens: a scope or an audience the subject token lacks is refused', async () => {
    const subject = await brokerToken();
    const narrow = (await exchange({ subject_token: subject, subject_token_type: TOKEN_TYPES.accessToken, scope: 'read', audience: 'https://api.acme.example' }, asConfidential())).body.access_token as string;
    const wider = await exchange({ subject_token: narrow, subject_token_type: TOKEN_TYPES.accessToken, scope: 'read deploy' }, asConfidential());
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    const elsewhere = await exchange({ subject_token: narrow, subject_token_type: TOKEN_TYPES.accessToken, audience: 'https://billing.acme.example' }, asConfidential());
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error).toBe('invalid_target');
  });

  it('needs a confidential client: anonymous or public callers are 401 invalid_client', async () => {
    const subject = await brokerToken();
    const anonymous = await exchange({ subject_token: subject, subject_token_type: TOKEN_TYPES.accessToken });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
  });

  it('refuses a revoked, a forged or a foreign token as invalid_request', async () => {
    const subject = await brokerToken();
    expect((await postForm(`${broker.url}/oauth2/revoke`, { token: subject }, asConfidential())).status).toBe(200);
    const revoked = await exchange({ subject_token: subject, subject_token_type: TOKEN_TYPES.accessToken }, asConfidential());
    expect(revoked.status).toBe(400);
    expect(revoked.body.error).toBe('invalid_request');
    const [header, payload] = (await brokerToken()).split('.');
    const forged = `${header}.${payload}.${Buffer.from('x'.repeat(64)).toString('base64url')}`;
    expect((await exchange({ subject_token: forged, subject_token_type: TOKEN_TYPES.accessToken }, asConfidential())).body.error).toBe('invalid_request');
    // A partner's JWT is not a broker access token.
    expect((await exchange({ subject_token: await ciToken(), subject_token_type: TOKEN_TYPES.accessToken }, asConfidential())).body.error).toBe('invalid_request');
  });

  it('takes a broker token as actor token: act names the broker as its iss', async () => {
    const actor = await brokerToken();
    const answer = await exchange({ subject_token: await idToken(), subject_token_type: TOKEN_TYPES.idToken, actor_token: actor, actor_token_type: TOKEN_TYPES.accessToken, scope: 'read' }, asConfidential());
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string).act).toEqual({ sub: 'repo:acme/api:ref:refs/heads/main', iss: broker.issuer });
  });
});

describe('audit', () => {
  it('makes one token event per exchange, with the grant type URN and the subject token only as its hash', async () => {
    const token = await ciToken({ jti: 'audited-jti' });
    const requestId = randomUUID();
    const answer = await exchange({ subject_token: token }, { 'x-request-id': requestId });
    expect(answer.status).toBe(200);
    const events = await eventuallyEvents(requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'token',
      outcome: 'success',
      grant_type: TOKEN_EXCHANGE_GRANT,
      issuer: CI_ISSUER,
      subject: 'repo:acme/api:ref:refs/heads/main',
      kid: 'ci-1',
      jti_hash: sha256('audited-jti'),
      details: { token_jti: decodeJwt(answer.body.access_token as string).jti, subject_token_sha256: sha256(token) },
    });
    const everything = JSON.stringify(await broker.audit.events());
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.split('.')[2]);
  });

  it('names the verified subject token on a refusal after its signature', async () => {
    const token = await ciToken({ repository_owner: 'mallory', jti: 'refused-jti' });
    const requestId = randomUUID();
    expect((await exchange({ subject_token: token }, { 'x-request-id': requestId })).status).toBe(400);
    const [event] = await eventuallyEvents(requestId);
    expect(event).toMatchObject({ outcome: 'failure', reason: 'condition_failed', error: 'invalid_request', issuer: CI_ISSUER, kid: 'ci-1', jti_hash: sha256('refused-jti'), details: { subject_token_sha256: sha256(token) } });
  });
});

describe('metadata', () => {
  it('lists the token-exchange grant type', async () => {
    const metadata = (await (await fetch(`${broker.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
  });
});

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

async function eventuallyEvents(requestId: string) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const events = await broker.audit.byRequestId(requestId);
    if (events.length > 0 || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
