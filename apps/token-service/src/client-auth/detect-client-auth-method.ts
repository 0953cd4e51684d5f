/**
 * Finds which client authentication method a request uses. Enforces (RFC 6749 §2.3,
 * CONTRACT.md): at most one method per request; `client_assertion_type` and
 * `client_assertion` come together, with the one type RFC 7523 §2.2 defines.
 */
import { CLIENT_ASSERTION_TYPE } from '@trust-broker/contracts';
import type { FormParameters } from '../oauth/form-body';
import { readBasicAuthorization, type BasicCredentials } from './basic-credentials';
import { clientAuthMalformed } from './client-auth.errors';

export interface AssertionCredential {
  kind: 'assertion';
  assertion: string;
}
export interface BasicCredential {
  kind: 'basic';
  /** Read once, here; the method's step refuses `malformed`. */
  credentials: BasicCredentials | 'malformed';
}
export interface PostCredential {
  kind: 'post';
  clientId: string | undefined;
  secret: string;
}
export interface ClientIdOnlyCredential {
  kind: 'client_id_only';
  clientId: string;
}

export type PresentedCredential = AssertionCredential | BasicCredential | PostCredential | ClientIdOnlyCredential | { kind: 'anonymous' };

export function detectClientAuthMethod(authorization: string | undefined, parameters: FormParameters): PresentedCredential {
  const basic = authorization === undefined ? undefined : readBasicAuthorization(authorization);
  const post = parameters.client_secret !== undefined;
  const assertion = parameters.client_assertion !== undefined || parameters.client_assertion_type !== undefined;
  if (Number(basic !== undefined) + Number(post) + Number(assertion) > 1) {
    throw clientAuthMalformed('multiple_client_auth_methods', 'more than one client authentication method was used');
  }
  if (assertion) return readClientAssertion(parameters);
  if (basic !== undefined) return { kind: 'basic', credentials: basic };
  if (post) return { kind: 'post', clientId: parameters.client_id, secret: parameters.client_secret! };
  if (parameters.client_id !== undefined) return { kind: 'client_id_only', clientId: parameters.client_id };
  return { kind: 'anonymous' };
}

function readClientAssertion(parameters: FormParameters): PresentedCredential {
  const type = parameters.client_assertion_type;
  const assertion = parameters.client_assertion;
  if (type === undefined) throw clientAuthMalformed('client_assertion_type_missing', 'client_assertion_type is required with client_assertion');
  if (assertion === undefined) throw clientAuthMalformed('client_assertion_missing', 'client_assertion is required with client_assertion_type');
  if (type !== CLIENT_ASSERTION_TYPE) {
    throw clientAuthMalformed('client_assertion_type_unsupported', 'unsupported client_assertion_type');
  }
  return { kind: 'assertion', assertion };
}
