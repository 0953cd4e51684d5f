/**
 * Client authentication for every endpoint that takes it (RFC 6749 §2.3, RFC 7523 §2.2,
 * OIDC Core §9), as a table of methods: it finds the one method the request uses
 * (detect-client-auth-method.ts: at most one), looks its step up in client-auth-methods.ts
 * and runs it. Each step opens with what it enforces, and admits its client only active
 * and registered with the method used (admit-client.ts; for a JWT method, in the lookup
 * the rule engine makes once it has read the assertion's `sub`).
 */
import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { IssuerTokenVerifier } from '../key-refresh/issuer-token-verifier';
import { KeyRefreshService } from '../key-refresh/key-refresh.service';
import { TrustCache } from '../trust/trust-cache.service';
import type { CachedClient } from '../trust/trust.types';
import type { ClientAuthTools } from './client-auth-method';
import { presentedMethod, runClientAuthStep } from './client-auth-methods';
import type { AuthenticatedClient, ClientAuthenticatorApi, ClientAuthInput } from './client-auth.types';
import { detectClientAuthMethod } from './detect-client-auth-method';

@Injectable()
export class ClientAuthenticator implements ClientAuthenticatorApi {
  private readonly tools: ClientAuthTools;
  private readonly findClient: (clientId: string) => CachedClient | undefined;

  constructor(trust: TrustCache, keyRefresh: KeyRefreshService, issuerTokens: IssuerTokenVerifier, @Inject(TOKEN_SERVICE_CONFIG) config: TokenServiceConfig) {
    this.tools = { trust, keyRefresh, issuerTokens, config };
    this.findClient = (clientId) => trust.findClient(clientId);
  }

  async authenticate(input: ClientAuthInput): Promise<AuthenticatedClient | undefined> {
    const credential = detectClientAuthMethod(input.authorization, input.parameters);
    if (credential.kind === 'anonymous') return undefined;
    return runClientAuthStep(presentedMethod(credential, input.parameters.client_id, this.findClient), input, this.tools);
  }
}
