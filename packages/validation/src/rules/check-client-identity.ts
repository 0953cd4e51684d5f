/**
 * Enforces for a client assertion: `iss` and `sub` are both the `client_id`
 * (RFC 7523 §3 rule 2.B, OIDC Core §9), and a `client_id` form parameter, when sent,
 * names the same client (RFC 7521 §4.2; CONTRACT.md: 401 invalid_client). The second
 * runs after the signature: the client it names is then a verified fact for the audit.
 */
import { reject } from '../assertion-kind';

export function checkClientIdentity(iss: string, sub: string): void {
  if (iss !== sub) throw reject('client', 'subject_mismatch', 'A client assertion must have "iss" equal to "sub" (the client_id)');
}

export function checkClientIdParameter(sub: string, clientIdParameter: string | undefined): void {
  // An empty parameter counts as absent (CONTRACT.md).
  if (clientIdParameter !== undefined && clientIdParameter !== '' && clientIdParameter !== sub) {
    throw reject('client', 'client_id_mismatch', 'The client_id parameter does not match the client assertion');
  }
}
