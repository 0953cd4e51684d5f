/**
 * The table of client authentication methods (RFC 6749 §2.3, RFC 7523 §2.2, CONTRACT.md
 * "Federated client authentication"): one step per method a request can present. A new
 * method is one step file, one line below, and how a request presents it.
 */
import type { CachedClient } from '../trust/trust.types';
import type { ClientAuthStep, ClientAuthTools, Presented, PresentedMethod } from './client-auth-method';
import type { AuthenticatedClient, ClientAuthInput } from './client-auth.types';
import { authenticateClientAssertion } from './client-assertion.method';
import { authenticateClientSecretBasic } from './client-secret-basic.method';
import { authenticateClientSecretPost } from './client-secret-post.method';
import type { PresentedCredential } from './detect-client-auth-method';
import { authenticateFederatedClient } from './federated-jwt.method';
import { identifyPublicClient } from './none.method';

export const CLIENT_AUTH_METHODS: { readonly [M in PresentedMethod]: ClientAuthStep<M> } = {
  none: identifyPublicClient,
  client_secret_basic: authenticateClientSecretBasic,
  client_secret_post: authenticateClientSecretPost,
  client_assertion: authenticateClientAssertion,
  federated_jwt: authenticateFederatedClient,
};

/**
 * The table line of a credential (detect-client-auth-method.ts): a client assertion is
 * `federated_jwt` when the `client_id` sent names a federated client (looked up only
 * then), else the client the assertion names authenticates with its own keys.
 */
export function presentedMethod(
  credential: Exclude<PresentedCredential, { kind: 'anonymous' }>,
  clientIdParameter: string | undefined,
  findClient: (clientId: string) => CachedClient | undefined,
): Presented {
  switch (credential.kind) {
    case 'client_id_only':
      return { method: 'none', credential };
    case 'basic':
      return { method: 'client_secret_basic', credential };
    case 'post':
      return { method: 'client_secret_post', credential };
    case 'assertion': {
      const named = clientIdParameter === undefined ? undefined : findClient(clientIdParameter);
      if (named?.federatedPolicy) return { method: 'federated_jwt', credential: { ...credential, client: named, policy: named.federatedPolicy } };
      return { method: 'client_assertion', credential };
    }
  }
}

/** Runs the step of the method presented. */
export function runClientAuthStep<M extends PresentedMethod>(presented: Presented<M>, request: ClientAuthInput, tools: ClientAuthTools): AuthenticatedClient | Promise<AuthenticatedClient> {
  const step: ClientAuthStep<M> = CLIENT_AUTH_METHODS[presented.method];
  return step(presented.credential, request, tools);
}
