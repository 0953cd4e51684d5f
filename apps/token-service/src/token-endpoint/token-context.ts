import type { GrantDecision, GrantHandler } from '../grants/grant.types';
import type { EndpointContext } from '../oauth-pipeline/endpoint.types';
import type { TokenResponseBody } from './token-request.types';

/** A token request's state: the grant found by `grant_type`, a DPoP key, the grant's decision, the answer. */
export interface TokenContext extends EndpointContext {
  /** The thumbprint of the key of the request's valid DPoP proof (RFC 9449), when it sent one. */
  dpopJkt?: string;
  grant?: { grantType: string; handler: GrantHandler };
  decision?: GrantDecision;
  response?: TokenResponseBody;
}
