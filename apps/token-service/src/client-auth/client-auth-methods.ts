/**
 * The table of client authentication methods (RFC 6749 §2.3, RFC 7523 §2.2, CONTRACT.md
 * "Federated client authentication"): one step per method a request can present, with the
 * registrations (`token_endpoint_auth_method`) it serves. A new method is one step file,
 * one line below, and how a request presents it; RFC 8414 metadata lists what the table serves.
 */
import type { CachedClient } from '../trust/trust.types';
import type { ClientAuthStep, ClientAuthTools, Presented, PresentedMethod } from './client-auth-method';
import type { AuthenticatedClient, ClientAuthInput, ClientAuthMethod } from './client-auth.types';
import { authenticateClientAssertion } from './client-assertion.method';
import { authenticateClientSecretBasic } from './client-secret-basic.method';
import { authenticateClientSecretPost } from './client-secret-post.method';
import type { PresentedCredential } from './detect-client-auth-method';
import { authenticateFederatedClient } from './federated-jwt.method';
import { identifyPublicClient } from './none.method';

/** One line of the table: the method's step, and the registrations whose clients it authenticates. */
export interface ClientAuthMethodLine<M extends PresentedMethod> {
  readonly step: ClientAuthStep<M>;
  readonly serves: readonly ClientAuthMethod[];
}

export const CLIENT_AUTH_METHODS: { readonly [M in PresentedMethod]: ClientAuthMethodLine<M> } = {
  client_assertion: { step: authenticateClientAssertion, serves: ['private_key_jwt', 'client_secret_jwt'] },
  client_secret_basic: { step: authenticateClientSecretBasic, serves: ['client_secret_basic'] },
  client_secret_post: { step: authenticateClientSecretPost, serves: ['client_secret_post'] },
  federated_jwt: { step: authenticateFederatedClient, serves: ['federated_jwt'] },
  none: { step: identifyPublicClient, serves: ['none'] },
};

/** Every registration the table serves, in its order (RFC 8414 `token_endpoint_auth_methods_supported`). */
export const SUPPORTED_CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = Object.values(CLIENT_AUTH_METHODS).flatMap((line) => line.serves);

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
  const step: ClientAuthStep<M> = CLIENT_AUTH_METHODS[presented.method].step;
  return step(presented.credential, request, tools);
}
