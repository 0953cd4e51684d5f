/**
 * A client authentication method as one step, as oidc-provider composes its endpoints:
 * a function that proves the credential a request presented and returns the client it
 * authenticates, or throws its refusal. Each is one file, listed once in the table
 * (client-auth-methods.ts) under the method a request presents.
 */
import type { FederatedClientPolicy } from '@trust-broker/validation';
import type { TokenServiceConfig } from '../config/token-service.config';
import type { IssuerTokenVerifier } from '../key-refresh/issuer-token-verifier';
import type { KeyRefreshService } from '../key-refresh/key-refresh.service';
import type { TrustCache } from '../trust/trust-cache.service';
import type { CachedClient } from '../trust/trust.types';
import type { AuthenticatedClient, ClientAuthInput } from './client-auth.types';
import type { AssertionCredential, BasicCredential, ClientIdOnlyCredential, PostCredential } from './detect-client-auth-method';

/** What the steps verify with (the authenticator's own dependencies). */
export interface ClientAuthTools {
  readonly trust: TrustCache;
  readonly keyRefresh: KeyRefreshService;
  readonly issuerTokens: IssuerTokenVerifier;
  readonly config: TokenServiceConfig;
}

/**
 * Each method a request can present, and what its step is given: the credential
 * detect-client-auth-method.ts read, and for `federated_jwt` the client its `client_id` names.
 * `client_assertion` is `private_key_jwt` and `client_secret_jwt` alike: which one is the
 * client's registration, known only once the rule engine reads the assertion's `sub`.
 */
export interface PresentedCredentials {
  none: ClientIdOnlyCredential;
  client_secret_basic: BasicCredential;
  client_secret_post: PostCredential;
  client_assertion: AssertionCredential;
  federated_jwt: AssertionCredential & { client: CachedClient; policy: FederatedClientPolicy };
}

export type PresentedMethod = keyof PresentedCredentials;

/** One method's table line: which method, and what its step is given. */
export type Presented<M extends PresentedMethod = PresentedMethod> = { [K in M]: { method: K; credential: PresentedCredentials[K] } }[M];

export type ClientAuthStep<M extends PresentedMethod> = (
  credential: PresentedCredentials[M],
  request: ClientAuthInput,
  tools: ClientAuthTools,
) => AuthenticatedClient | Promise<AuthenticatedClient>;
