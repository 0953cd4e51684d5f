/**
 * Steps more than one endpoint runs (each endpoint's own are beside it). Enforces:
 * - readForm: an `application/x-www-form-urlencoded` body (RFC 6749 §3.2), no repeated
 *   parameter (but those the request's grant lets repeat), empty ones absent
 *   (oauth/form-body.ts); the `client_id` sent is noted for the audit of a request that
 *   fails before the client is known;
 * - authenticateClient: at most one client authentication method, verified
 *   (client-auth/); a request without any goes on anonymous;
 * - requireConfidentialCaller: introspection and revocation need a client that proved a
 *   credential (RFC 7662 §2.1, RFC 7009 §2.1): none, or a public client, is 401 `invalid_client`.
 */
import { clientAuthFailed } from '../client-auth/client-auth.errors';
import type { ClientAuthenticatorApi } from '../client-auth/client-auth.types';
import { readForm as readFormBody } from '../oauth/form-body';
import type { EndpointContext, EndpointStep } from './endpoint.types';
import { headerOf } from './oauth-http-request';

/** readForm where the request picks which parameters may repeat (the token endpoint: its grant, by the `grant_type` sent). */
export function readFormRepeating(repeatableIn: (body: unknown) => ReadonlySet<string> | undefined): EndpointStep<EndpointContext> {
  return function readForm(context) {
    const { parameters, lists } = readFormBody(context.request.body, headerOf(context.request, 'content-type'), repeatableIn(context.request.body));
    context.parameters = parameters;
    context.lists = lists;
    if (parameters.client_id !== undefined) context.audit.claimedClientId = parameters.client_id;
  };
}

/** No parameter may repeat. */
export const readForm = readFormRepeating(() => undefined);

export function authenticateClient(authenticator: ClientAuthenticatorApi): EndpointStep<EndpointContext> {
  return async function authenticateClient(context) {
    const client = await authenticator.authenticate({
      endpoint: context.endpoint,
      authorization: headerOf(context.request, 'authorization'),
      parameters: context.parameters,
      replayGuard: context.replayGuard,
      audit: context.audit,
      request: context.request,
    });
    if (client) context.client = client;
  };
}

export function requireConfidentialCaller(context: EndpointContext): void {
  if (!context.client) throw clientAuthFailed('client_auth_missing');
  if (context.client.method === 'none') throw clientAuthFailed('public_client_not_allowed');
}
