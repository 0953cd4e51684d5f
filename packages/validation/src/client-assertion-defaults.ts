/**
 * The policy a client's assertions get where its registration is silent (RFC 7523 §2.2,
 * rfc7523bis), beside the issuers' defaults (`DEFAULT_ISSUER_ALGORITHMS`): the app that
 * builds a `ClientAssertionPolicy` from a client row takes them from here.
 */
import { SUPPORTED_ALGORITHMS } from './algorithms';

/** Client assertions get the usual 30 s leeway (a client registration has no skew setting). */
export const CLIENT_ASSERTION_CLOCK_SKEW_S = 30;

/**
 * The algorithms a client's assertions may use: its registered
 * `token_endpoint_auth_signing_alg` when that fits its method, else every algorithm of the
 * method's family (asymmetric for `private_key_jwt`, HMAC only for `client_secret_jwt`).
 * A registered algorithm of the other family gives none: fail closed.
 */
export function clientAssertionAlgorithms(method: 'private_key_jwt' | 'client_secret_jwt', registered: string | null | undefined): readonly string[] {
  const family: readonly string[] = method === 'private_key_jwt' ? SUPPORTED_ALGORITHMS.asymmetric : SUPPORTED_ALGORITHMS.hmac;
  if (!registered) return family;
  return family.includes(registered) ? [registered] : [];
}
