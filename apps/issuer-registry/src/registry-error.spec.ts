import { toApiError } from '@trust-broker/service-kit/errors';
import { ClientError } from './clients/clients.errors';
import { IssuerError } from './issuers/issuers.errors';
import { RefreshTokensError } from './refresh-tokens/refresh-tokens.errors';

describe('domainErrors', () => {
  it.each([
    [new IssuerError('issuer_not_found', 'no issuer with id x'), 'not_found', 404, 'not_found'],
    [new IssuerError('issuer_already_registered', 'issuer: taken'), 'conflict', 409, 'conflict'],
    [new ClientError('secret_too_short', 'token_endpoint_auth_signing_alg: too short'), 'invalid', 400, 'invalid_request'],
    [new ClientError('assertion_already_revoked', 'jti: already revoked'), 'conflict', 409, 'conflict'],
    [new RefreshTokensError('token_schema_missing', 'not migrated'), 'dependency_unavailable', 503, 'temporarily_unavailable'],
  ])('gives %s the kind of its list, which the one filter answers', (error, kind, status, code) => {
    expect(error.kind).toBe(kind);
    expect(toApiError(error)).toMatchObject({ status, error: code, description: error.message, reason: error.code });
  });

  it('names the error after its feature class', () => {
    expect(new ClientError('client_not_found', 'x').name).toBe('ClientError');
  });
});
