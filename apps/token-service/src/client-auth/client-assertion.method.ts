/**
 * `private_key_jwt` and `client_secret_jwt` (RFC 7523 §2.2 and §3, OIDC Core §9): one rule
 * sequence (verifyClientAssertion), the client's registration picking its keys (its JWKS,
 * or its secret for HMAC). Enforces:
 * - the client the assertion names (`iss` = `sub`, and the `client_id` parameter when sent),
 *   active and registered with a JWT method; any other is unknown;
 * - the audience per CONTRACT.md: the broker's issuer identifier, the endpoint URLs only
 *   with CLIENT_ASSERTION_AUDIENCE_COMPAT;
 * - the `jti` single use per client unless the client allows reuse; admin revocations honoured;
 * - an unknown `kid`: the registry asked for the client's keys, and one more verification;
 * - a refusal after the signature verified names the client and key for the audit only
 *   (assertion-refusal.ts).
 */
import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import { AssertionError, verifyClientAssertion, type ClientVerificationContext, type VerifiedAssertion } from '@trust-broker/validation';
import { isUnknownKid } from '../oauth/assertion-errors';
import { isActive } from '../trust/trust-cache.service';
import type { CachedClient } from '../trust/trust.types';
import { asClientAuthError } from './assertion-refusal';
import type { ClientAuthTools } from './client-auth-method';
import type { AuthenticatedClient, ClientAuthInput, ClientEndpoint } from './client-auth.types';
import type { AssertionCredential } from './detect-client-auth-method';

const ENDPOINT_PATHS: Record<ClientEndpoint, string> = {
  token: '/oauth2/token',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
};

export async function authenticateClientAssertion(credential: AssertionCredential, request: ClientAuthInput, tools: ClientAuthTools): Promise<AuthenticatedClient> {
  const { config, trust } = tools;
  let lookedUp: CachedClient | undefined;
  let keysVersionAtLookup = -1;
  const context: ClientVerificationContext = {
    audience: { brokerIssuer: config.brokerIssuer, tokenEndpoint: config.tokenEndpoint },
    replayGuard: request.replayGuard,
    acceptEndpointAudience: config.clientAssertionAudienceCompat,
    endpointUrl: `${config.brokerIssuer}${ENDPOINT_PATHS[request.endpoint]}`,
    ...(request.parameters.client_id !== undefined ? { clientIdParameter: request.parameters.client_id } : {}),
    findClient: (clientId) => {
      const client = trust.findClient(clientId);
      if (!client || !isActive(client.row, Date.now()) || !client.assertionPolicy) return undefined;
      lookedUp = client;
      keysVersionAtLookup = client.keysVersion;
      return client.assertionPolicy;
    },
  };
  try {
    const verified = await verifyWithKeyRefresh(credential.assertion, context, tools, () => lookedUp, () => keysVersionAtLookup, request.request);
    const client = lookedUp!;
    return {
      clientId: client.row.client_id,
      method: client.row.token_endpoint_auth_method,
      client: client.row,
      ...(verified.kid !== undefined ? { assertionKid: verified.kid } : {}),
    };
  } catch (error) {
    if (error instanceof AssertionError) throw asClientAuthError(error, lookedUp, request.audit);
    throw error;
  }
}

/** A `kid` the client's keys lack: the registry is asked for them, and when they changed the assertion is verified once more. */
async function verifyWithKeyRefresh(
  assertion: string,
  context: ClientVerificationContext,
  tools: ClientAuthTools,
  lookedUp: () => CachedClient | undefined,
  keysVersionAtLookup: () => number,
  request: LoggedRequest | undefined,
): Promise<VerifiedAssertion> {
  try {
    return await verifyClientAssertion(assertion, context);
  } catch (error) {
    const client = lookedUp();
    if (!isUnknownKid(error) || !client) throw error;
    client.keys.reportSkipped(request);
    const changed = await tools.keyRefresh.refreshAndWait('client', client.row.client_id, error.kid, keysVersionAtLookup(), request);
    if (!changed) throw error;
    return await verifyClientAssertion(assertion, context);
  } finally {
    // The engine imported the client's keys, if this was their first use.
    lookedUp()?.keys.reportSkipped(request);
  }
}
