/**
 * `federated_jwt` (CONTRACT.md "Federated client authentication"): the `client_id`
 * parameter names the client, and a trusted issuer of its `federated_credentials` signed
 * its assertion. Enforces:
 * - the client active (the table sends here only a client registered as federated_jwt);
 * - the assertion verified by verifyFederatedClientAssertion: `iss` and `sub` exactly those
 *   of one of its credentials, that issuer's keys, audiences and lifetime; single use
 *   unless the client allows reuse; admin revocations honoured;
 * - the issuer's keys refreshed once on an unknown `kid` (IssuerTokenVerifier); a disabled
 *   or deleted issuer authenticates none of its clients from the moment the trust cache
 *   hears of it;
 * - a refusal after the signature verified names the client and key for the audit only.
 */
import { AssertionError, verifyFederatedClientAssertion } from '@trust-broker/validation';
import { admitClient } from './admit-client';
import { asClientAuthError } from './assertion-refusal';
import type { ClientAuthTools, PresentedCredentials } from './client-auth-method';
import type { AuthenticatedClient, ClientAuthInput } from './client-auth.types';

export async function authenticateFederatedClient(
  credential: PresentedCredentials['federated_jwt'],
  request: ClientAuthInput,
  tools: ClientAuthTools,
): Promise<AuthenticatedClient> {
  const { client, policy } = credential;
  admitClient(client, 'federated_jwt', 'auth_method_mismatch');
  try {
    const { verified } = await tools.issuerTokens.verify((findIssuer) =>
      verifyFederatedClientAssertion(credential.assertion, { replayGuard: request.replayGuard, client: policy, findIssuer }),
      request.request,
    );
    return {
      clientId: client.row.client_id,
      method: 'federated_jwt',
      client: client.row,
      ...(verified.kid !== undefined ? { assertionKid: verified.kid } : {}),
    };
  } catch (error) {
    if (error instanceof AssertionError) throw asClientAuthError(error, client, request.audit);
    throw error;
  }
}
