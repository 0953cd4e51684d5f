/**
 * The token endpoint's last step: the grant's decision as an RFC 9068 access token
 * (`iss`, `sub`, `aud`, `exp`, `iat`, `jti`, `scope`, `client_id` when a client took part,
 * `idp`, `cnf.jkt` with a DPoP proof, mapped claims), signed by AccessTokenSigner, and the
 * RFC 6749 §5.1 answer (with the grant's refresh token, if it issued one). A token
 * over MAX_ACCESS_TOKEN_BYTES is refused (`invalid_grant`, nothing issued): mapped claims
 * must not make a token that verifiers or HTTP headers refuse.
 */
import { randomUUID } from 'node:crypto';
import type { TokenServiceConfig } from '../config/token-service.config';
import { OAuthError } from '../oauth/oauth-error';
import type { EndpointStep } from '../oauth-pipeline/endpoint.types';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';
import type { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import type { TokenContext } from './token-context';
import type { TokenResponseBody } from './token-request.types';

/** Largest access token issued: what common HTTP header limits (8 KiB) carry. */
export const MAX_ACCESS_TOKEN_BYTES = 8192;

export function mintAccessToken(signer: AccessTokenSigner, config: TokenServiceConfig): EndpointStep<TokenContext> {
  return async function mintAccessToken(context) {
    const decision = context.decision!;
    const issuedAt = Math.floor(Date.now() / 1000);
    const scope = decision.scopes.join(' ');
    // Built in place, in the claims' order, rather than from conditional spreads (an object more each).
    const claims: AccessTokenClaims = {
      ...decision.mappedClaims,
      iss: config.brokerIssuer,
      sub: decision.subject,
      aud: decision.audience.length === 1 ? decision.audience[0]! : decision.audience,
      exp: issuedAt + decision.ttlSeconds,
      iat: issuedAt,
      jti: randomUUID(),
      scope,
    };
    if (context.client) claims.client_id = context.client.clientId;
    if (decision.idp !== undefined) claims.idp = decision.idp;
    // RFC 9449 §6.1: the token is bound to the proof's key.
    if (context.dpopJkt !== undefined) claims.cnf = { jkt: context.dpopJkt };
    const accessToken = await signer.sign(claims);
    if (Buffer.byteLength(accessToken, 'utf8') > MAX_ACCESS_TOKEN_BYTES) {
      throw new OAuthError('invalid_grant', `the access token would exceed ${MAX_ACCESS_TOKEN_BYTES} bytes; the issuer's claim_mappings produce too much for this assertion`, 'token_too_large');
    }
    context.audit.details = { token_jti: claims.jti };
    const response: TokenResponseBody = {
      access_token: accessToken,
      token_type: context.dpopJkt !== undefined ? 'DPoP' : 'Bearer',
      expires_in: decision.ttlSeconds,
      scope,
    };
    if (decision.issuedTokenType !== undefined) response.issued_token_type = decision.issuedTokenType;
    if (decision.refreshToken !== undefined) response.refresh_token = decision.refreshToken;
    context.response = response;
  };
}
