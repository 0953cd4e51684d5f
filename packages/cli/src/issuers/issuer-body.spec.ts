import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIssuerBody, checkNewIssuer } from './issuer-body';

describe('buildIssuerBody', () => {
  it('maps every flag to its snake_case admin API field', () => {
    expect(
      buildIssuerBody({
        issuer: 'https://idp.partner.example',
        displayName: 'Partner',
        status: 'active',
        expiresAt: '2030-01-01T00:00:00Z',
        jwksUri: 'https://idp.partner.example/jwks',
        discovery: false,
        subjects: ['*'],
        allowedAlgorithms: ['ES256'],
        allowedScopes: ['read'],
        audiences: ['https://api.example'],
        condition: 'claims.email_verified == true',
        claimMapping: { email: 'claims.email' },
        maxAssertionLifetime: 120,
        clockSkew: 5,
        requireJti: false,
        subjectFromIssuer: true,
        requireClientAuth: true,
        allowedClientIds: ['c1'],
        accessTokenTtl: 900,
        refreshTokens: true,
        refreshTokenTtl: 3600,
        acceptedAudiences: ['https://broker.example', 'sts.example'],
      }),
    ).toEqual({
      issuer: 'https://idp.partner.example',
      display_name: 'Partner',
      status: 'active',
      expires_at: '2030-01-01T00:00:00Z',
      jwks_uri: 'https://idp.partner.example/jwks',
      discovery: false,
      subjects: ['*'],
      allowed_algorithms: ['ES256'],
      allowed_scopes: ['read'],
      audiences: ['https://api.example'],
      condition: 'claims.email_verified == true',
      claim_mappings: { email: 'claims.email' },
      max_assertion_lifetime_s: 120,
      clock_skew_s: 5,
      require_jti: false,
      subject_from_issuer: true,
      require_client_auth: true,
      allowed_client_ids: ['c1'],
      access_token_ttl_s: 900,
      refresh_tokens: true,
      refresh_token_ttl_s: 3600,
      accepted_audiences: ['https://broker.example', 'sts.example'],
    });
  });

  it('sends only the flags given (a PATCH changes nothing else)', () => {
    expect(buildIssuerBody({ allowedScopes: ['a', 'b'] })).toEqual({ allowed_scopes: ['a', 'b'] });
    expect(buildIssuerBody({})).toEqual({});
  });

  it('takes a --body file as the base; flags win over it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tb-cli-body-')), 'issuer.json');
    writeFileSync(file, JSON.stringify({ issuer: 'https://from-file', subjects: ['alice'], clock_skew_s: 10 }));
    expect(buildIssuerBody({ body: file, clockSkew: 0 })).toEqual({ issuer: 'https://from-file', subjects: ['alice'], clock_skew_s: 0 });
  });

  it('refuses a --body file that is not a JSON object', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tb-cli-body-')), 'list.json');
    writeFileSync(file, '[1,2]');
    expect(() => buildIssuerBody({ body: file })).toThrow('must hold a JSON object');
  });
});

describe('checkNewIssuer', () => {
  it.each([
    [{ subjects: ['*'], discovery: true }, '--issuer is required'],
    [{ issuer: 'https://i', discovery: true }, '--subjects is required'],
    [{ issuer: 'https://i', subjects: [], discovery: true }, '--subjects is required'],
    [{ issuer: 'https://i', subjects: ['*'] }, 'a key source is required'],
    [{ issuer: 'https://i', subjects: ['*'], discovery: false }, 'a key source is required'],
  ])('%j -> %s', (body, message) => {
    expect(() => checkNewIssuer(body)).toThrow(message);
  });

  it.each([
    { issuer: 'https://i', subjects: ['*'], discovery: true },
    { issuer: 'https://i', subjects: ['a'], jwks_uri: 'https://i/jwks' },
    { issuer: 'https://i', subjects: ['a'], jwks: { keys: [] } },
  ])('accepts %j', (body) => {
    expect(() => checkNewIssuer(body)).not.toThrow();
  });
});
