/**
 * The client credentials grant (RFC 6749 §4.4). Enforces:
 * - only confidential clients, authenticated (a public client or none: 401 `invalid_client`);
 * - scope ⊆ the client's scope (none requested: all of it);
 * - `aud` = the requested `resource`/`audience`, else the broker's issuer identifier;
 * - lifetime = the client's `access_token_ttl_s`.
 */
import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { clientAuthFailed } from '../client-auth/client-auth.errors';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import type { GrantDecision, GrantHandler, GrantRequest } from './grant.types';
import { resolveAudience } from './resolve-audience';
import { parseScopeList, resolveScope } from './resolve-scope';

@Injectable()
export class ClientCredentialsGrant implements GrantHandler {
  constructor(@Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig) {}

  checkClient(client: AuthenticatedClient | undefined): void {
    requireConfidentialClient(client);
  }

  exchange(request: GrantRequest): GrantDecision {
    const client = requireConfidentialClient(request.client);
    const scopes = resolveScope(request.parameters.scope, [parseScopeList(client.client.scope)]);
    const audience = resolveAudience(request.parameters, undefined, [this.config.brokerIssuer]);
    request.audit.subject = client.clientId;
    return {
      subject: client.clientId,
      audience,
      scopes,
      ttlSeconds: client.client.access_token_ttl_s,
      mappedClaims: {},
    };
  }
}

/** RFC 6749 §4.4: only confidential clients, authenticated (checked before `grant_types`: a public client is not "authorized" for anything here). */
export function requireConfidentialClient(client: AuthenticatedClient | undefined): AuthenticatedClient {
  if (!client || client.method === 'none') {
    throw clientAuthFailed('client_auth_required');
  }
  return client;
}
