/**
 * Client authentication for every endpoint that takes it (RFC 6749 §2.3, RFC 7523 §2.2,
 * OIDC Core §9). Enforces:
 * - exactly one method per request (detect-client-auth-method.ts);
 * - the method used is the client's registered `token_endpoint_auth_method`;
 * - secrets compared in constant time, also for unknown clients (no timing oracle);
 * - client assertions through the rule engine, audience per CONTRACT.md (the broker's
 *   issuer identifier; the endpoint URLs only with CLIENT_ASSERTION_AUDIENCE_COMPAT),
 *   single use per client unless the client allows reuse, admin revocations honoured;
 * - an unknown `kid` asks the registry for the client's keys and verifies once more;
 * - `federated_jwt` (CONTRACT.md "Federated client authentication"): the `client_id`
 *   parameter names the client, whose assertion a trusted issuer of its
 *   `federated_credentials` signed (verifyFederatedClientAssertion; the issuer's keys
 *   refreshed once on an unknown `kid`); a disabled or deleted issuer authenticates none
 *   of its clients from the moment the trust cache hears of it;
 * - a disabled client authenticates nobody.
 */
import { Inject, Injectable } from '@nestjs/common';
import { constantTimeEqual, sha256Hex } from '@trust-broker/secrets';
import { AssertionError, verifyClientAssertion, verifyFederatedClientAssertion, type ClientVerificationContext } from '@trust-broker/validation';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { IssuerTokenVerifier } from '../key-refresh/issuer-token-verifier';
import { KeyRefreshService } from '../key-refresh/key-refresh.service';
import { fromAssertionError, isUnknownKid } from '../oauth/assertion-errors';
import { isActive, TrustCache } from '../trust/trust-cache.service';
import type { CachedClient } from '../trust/trust.types';
import { readBasicCredentials } from './basic-credentials';
import { clientAuthFailed, clientAuthMalformed } from './client-auth.errors';
import type {
  AuthenticatedClient,
  ClientAuditFields,
  ClientAuthenticatorApi,
  ClientAuthInput,
  ClientAuthMethod,
  ClientEndpoint,
} from './client-auth.types';
import { detectClientAuthMethod } from './detect-client-auth-method';

const ENDPOINT_PATHS: Record<ClientEndpoint, string> = {
  token: '/oauth2/token',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
};

/** Compared against when the client is unknown, so both paths cost the same. */
const DUMMY_SECRET = Buffer.alloc(43, 'x');

@Injectable()
export class ClientAuthenticator implements ClientAuthenticatorApi {
  constructor(
    private readonly trust: TrustCache,
    private readonly keyRefresh: KeyRefreshService,
    private readonly issuerTokens: IssuerTokenVerifier,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
  ) {}

  async authenticate(input: ClientAuthInput): Promise<AuthenticatedClient | undefined> {
    const credential = detectClientAuthMethod(input.authorization, input.parameters);
    switch (credential.kind) {
      case 'anonymous':
        return undefined;
      case 'assertion':
        return this.authenticateWithAssertion(credential.assertion, input);
      case 'basic': {
        const basic = readBasicCredentials(credential.header);
        if (input.parameters.client_id !== undefined && input.parameters.client_id !== basic.clientId) {
          throw clientAuthFailed('client_id_mismatch', true);
        }
        return this.authenticateWithSecret(basic.clientId, basic.secret, 'client_secret_basic');
      }
      case 'post':
        if (credential.clientId === undefined) throw clientAuthMalformed('client_id_missing', 'client_id is required with client_secret');
        return this.authenticateWithSecret(credential.clientId, credential.secret, 'client_secret_post');
      case 'client_id_only':
        return this.identifyPublicClient(credential.clientId);
    }
  }

  private authenticateWithSecret(clientId: string, presented: string, method: ClientAuthMethod): AuthenticatedClient {
    const basicTried = method === 'client_secret_basic';
    const client = this.trust.findClient(clientId);
    const matches = constantTimeEqual(Buffer.from(presented, 'utf8'), client?.secret ?? DUMMY_SECRET);
    if (!client) throw clientAuthFailed('client_unknown', basicTried);
    this.requireActive(client, basicTried);
    if (client.row.token_endpoint_auth_method !== method) {
      throw clientAuthFailed('auth_method_mismatch', basicTried);
    }
    if (!client.secret || !matches) throw clientAuthFailed('secret_mismatch', basicTried);
    return { clientId, method, client: client.row };
  }

  /** A public client (RFC 6749 §2.1) names itself with `client_id` and nothing else. */
  private identifyPublicClient(clientId: string): AuthenticatedClient {
    const client = this.trust.findClient(clientId);
    if (!client) throw clientAuthFailed('client_unknown');
    this.requireActive(client, false);
    if (client.row.token_endpoint_auth_method !== 'none') {
      throw clientAuthFailed('client_auth_required');
    }
    return { clientId, method: 'none', client: client.row };
  }

  private async authenticateWithAssertion(assertion: string, input: ClientAuthInput): Promise<AuthenticatedClient> {
    const named = input.parameters.client_id === undefined ? undefined : this.trust.findClient(input.parameters.client_id);
    if (named?.federatedPolicy) return this.authenticateFederated(assertion, named, input);
    let lookedUp: CachedClient | undefined;
    let keysVersionAtLookup = -1;
    const context: ClientVerificationContext = {
      audience: { brokerIssuer: this.config.brokerIssuer, tokenEndpoint: this.config.tokenEndpoint },
      replayGuard: input.replayGuard,
      acceptEndpointAudience: this.config.clientAssertionAudienceCompat,
      endpointUrl: `${this.config.brokerIssuer}${ENDPOINT_PATHS[input.endpoint]}`,
      ...(input.parameters.client_id !== undefined ? { clientIdParameter: input.parameters.client_id } : {}),
      findClient: (clientId) => {
        const client = this.trust.findClient(clientId);
        if (!client || !isActive(client.row, Date.now()) || !client.assertionPolicy) return undefined;
        lookedUp = client;
        keysVersionAtLookup = client.keysVersion;
        return client.assertionPolicy;
      },
    };
    try {
      const verified = await this.verifyWithKeyRefresh(assertion, context, () => lookedUp, () => keysVersionAtLookup);
      const client = lookedUp!;
      return {
        clientId: client.row.client_id,
        method: client.row.token_endpoint_auth_method,
        client: client.row,
        ...(verified.kid !== undefined ? { assertionKid: verified.kid } : {}),
      };
    } catch (error) {
      if (error instanceof AssertionError) throw asClientAuthError(error, lookedUp, input.audit);
      throw error;
    }
  }

  /** The client's assertion was minted by a trusted issuer of its federated credentials. */
  private async authenticateFederated(assertion: string, client: CachedClient, input: ClientAuthInput): Promise<AuthenticatedClient> {
    this.requireActive(client, false);
    const policy = client.federatedPolicy!;
    try {
      const { verified } = await this.issuerTokens.verify((findIssuer) => verifyFederatedClientAssertion(assertion, { replayGuard: input.replayGuard, client: policy, findIssuer }));
      return {
        clientId: client.row.client_id,
        method: 'federated_jwt',
        client: client.row,
        ...(verified.kid !== undefined ? { assertionKid: verified.kid } : {}),
      };
    } catch (error) {
      if (error instanceof AssertionError) throw asClientAuthError(error, client, input.audit);
      throw error;
    }
  }

  private async verifyWithKeyRefresh(
    assertion: string,
    context: ClientVerificationContext,
    lookedUp: () => CachedClient | undefined,
    keysVersionAtLookup: () => number,
  ) {
    try {
      return await verifyClientAssertion(assertion, context);
    } catch (error) {
      const client = lookedUp();
      if (!isUnknownKid(error) || !client) throw error;
      const changed = await this.keyRefresh.refreshAndWait('client', client.row.client_id, error.kid, keysVersionAtLookup());
      if (!changed) throw error;
      return verifyClientAssertion(assertion, context);
    }
  }

  private requireActive(client: CachedClient, basicTried: boolean): void {
    if (!isActive(client.row as { status: string }, Date.now())) {
      throw clientAuthFailed('client_disabled', basicTried);
    }
  }
}

/**
 * A client assertion refused before its signature verified says no more than any other
 * failed authentication; after it, the client proved its key and may learn why (expired,
 * replayed, wrong audience...), and the audit names the client and its key (CONTRACT.md
 * "Audit API"; `client` is the one whose keys verified the signature).
 */
function asClientAuthError(error: AssertionError, client: CachedClient | undefined, audit: ClientAuditFields | undefined): Error {
  if (error.error === 'invalid_client' && error.verified === undefined) return clientAuthFailed(error.reason);
  if (error.verified !== undefined && client !== undefined && audit !== undefined) {
    const { kid, jti } = error.verified;
    audit.verifiedClient = {
      clientId: client.row.client_id,
      ...(kid !== undefined && { clientKid: kid }),
      ...(jti !== undefined && { clientJtiHash: sha256Hex(jti) }),
    };
  }
  return fromAssertionError(error);
}
