/**
 * A broker access token as a token-exchange subject token (CONTRACT.md "Token exchange",
 * `urn:ietf:params:oauth:token-type:access_token`): a service that holds one trades it
 * down to call the next service. Enforces:
 * - the token is active: the broker's signature, `iss`, `typ`, expiry (AccessTokenSigner)
 *   and not revoked (RevocationStore; a store that cannot answer is 503, never a pass);
 * - a DPoP-bound token (`cnf`) is refused: its holder proves possession with a proof the
 *   exchange does not carry for it (fail closed);
 * - the caller authenticated as a confidential client (else 401 `invalid_client`);
 * - only narrowing: the requested scope within the token's (and the caller's) scope
 *   (`invalid_scope`), each requested target within its `aud` (`invalid_target`), nothing
 *   requested: what it had; the new token's `exp` no later than the subject token's;
 * - `sub`, `idp`, `act` and the claims the issuer's mappings put in it are carried over.
 * Any other refusal of the token is 400 `invalid_request`.
 */
import { Injectable } from '@nestjs/common';
import { sha256Hex } from '@trust-broker/secrets';
import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import { clientAuthFailed } from '../client-auth/client-auth.errors';
import { OAuthError } from '../oauth/oauth-error';
import { RevocationStore } from '../revocation/revocation-store.service';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import type { GrantDecision, GrantRequest } from './grant.types';
import { resolveTargets } from './resolve-audience';
import { parseScopeList, resolveScope } from './resolve-scope';

/** Claims the broker sets on every token it mints: never carried over as they are. */
const MINTED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'idp', 'cnf']);

@Injectable()
export class BrokerTokenSubject {
  constructor(
    private readonly signer: AccessTokenSigner,
    private readonly revocations: RevocationStore,
  ) {}

  /** The claims of an active broker access token, or 400 `invalid_request`. */
  async verifyActive(token: string, request: LoggedRequest): Promise<AccessTokenClaims> {
    const claims = await this.signer.verify(token);
    if (!claims) throw new OAuthError('invalid_request', 'the token is not an active access token of this broker', 'broker_token_invalid');
    if (await this.revocations.isRevoked(claims.jti, request)) throw new OAuthError('invalid_request', 'the token has been revoked', 'broker_token_revoked');
    if (claims.cnf !== undefined) throw new OAuthError('invalid_request', 'a sender-constrained (DPoP) token cannot be exchanged', 'broker_token_sender_constrained');
    return claims;
  }

  /** The narrowed token's decision, and the subject token's claims (for `may_act` and `act`). */
  async narrow(token: string, request: GrantRequest, targets: readonly string[]): Promise<{ decision: GrantDecision; claims: Record<string, unknown> }> {
    const { client, audit } = request;
    if (client === undefined || client.method === 'none') throw clientAuthFailed('client_auth_required');
    const claims = await this.verifyActive(token, request.request);
    audit.subject = claims.sub;
    if (typeof claims.idp === 'string') audit.issuer = claims.idp;
    audit.jtiHash = sha256Hex(claims.jti);
    const held = parseScopeList(claims.scope);
    const scopes = resolveScope(request.parameters.scope, [held, parseScopeList(client.client.scope)]);
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const narrowed = resolveTargets(targets, audience, audience);
    const remaining = claims.exp - Math.floor(Date.now() / 1000);
    if (remaining < 1) throw new OAuthError('invalid_request', 'the token is not an active access token of this broker', 'broker_token_invalid');
    const carried: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(claims)) if (!MINTED_CLAIMS.has(name)) carried[name] = value;
    return {
      decision: {
        subject: claims.sub,
        audience: narrowed,
        scopes,
        // `exp` no later than the subject token's, and no longer than the caller's own tokens live.
        ttlSeconds: Math.min(remaining, client.client.access_token_ttl_s),
        ...(typeof claims.idp === 'string' ? { idp: claims.idp } : {}),
        mappedClaims: carried,
      },
      claims,
    };
  }
}
