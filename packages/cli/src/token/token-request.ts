/**
 * Requests to the OAuth endpoints: the token endpoint (RFC 6749 §3.2) with a
 * jwt-bearer grant (RFC 7523 §2.1), a token exchange (RFC 8693) or client_credentials, and introspection
 * (RFC 7662) and revocation (RFC 7009), each with one client authentication method.
 */
import { CLIENT_ASSERTION_TYPE, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, TOKEN_TYPES } from '@trust-broker/contracts/oauth-urns';
import { sendApiRequest } from '../api/api-client';
import { UsageError } from '../cli.errors';
import { mintAssertion } from '../assertion/mint-assertion';
import type { SigningKey } from '../assertion/load-private-key';

/** RFC 8693 §3 token types, by the short names the flags take (`--subject-token-type id_token`). */
const TOKEN_TYPE_BY_NAME = {
  jwt: TOKEN_TYPES.jwt,
  id_token: TOKEN_TYPES.idToken,
  access_token: TOKEN_TYPES.accessToken,
} as const;
export type TokenTypeName = keyof typeof TOKEN_TYPE_BY_NAME;
/** The `typ` header of a client assertion (rfc7523bis §4). */
export const CLIENT_AUTHENTICATION_JWT_TYPE = 'client-authentication+jwt';
const CLIENT_ASSERTION_LIFETIME_S = 60;

export type ClientAuthentication =
  | { method: 'none'; clientId?: string }
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; clientSecret: string }
  | { method: 'client_secret_jwt'; clientId: string; clientSecret: string; audience: string }
  | { method: 'private_key_jwt'; clientId: string; signingKey: SigningKey; audience: string }
  /** A token a trusted issuer minted for the workload (CONTRACT.md "Federated client authentication"). */
  | { method: 'federated_jwt'; clientId: string; assertion: string };

export interface GrantRequest {
  grantType: 'jwt-bearer' | 'client_credentials' | 'token-exchange';
  assertion?: string;
  subjectToken?: string;
  subjectTokenType?: TokenTypeName;
  actorToken?: string;
  actorTokenType?: TokenTypeName;
  scope?: string;
  /** One value, or several (sent as the parameter repeated). */
  resource?: string | readonly string[];
  audience?: string | readonly string[];
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  [member: string]: unknown;
}

interface AuthenticatedForm {
  form: Record<string, string>;
  basicAuth?: { username: string; password: string };
}

/** The form fields (or Basic header) that authenticate the client: exactly one method. */
export async function buildClientAuthentication(auth: ClientAuthentication): Promise<AuthenticatedForm> {
  switch (auth.method) {
    case 'none':
      return { form: auth.clientId ? { client_id: auth.clientId } : {} };
    case 'client_secret_basic':
      return { form: {}, basicAuth: { username: auth.clientId, password: auth.clientSecret } };
    case 'client_secret_post':
      return { form: { client_id: auth.clientId, client_secret: auth.clientSecret } };
    case 'federated_jwt':
      return { form: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: auth.assertion, client_id: auth.clientId } };
    case 'client_secret_jwt':
    case 'private_key_jwt': {
      const signing =
        auth.method === 'private_key_jwt'
          ? auth.signingKey
          : { key: new TextEncoder().encode(auth.clientSecret), alg: 'HS256', kid: undefined };
      // rfc7523bis: the audience of a client assertion is the issuer identifier alone, and
      // it is explicitly typed as a client authentication JWT (§4).
      const { assertion } = await mintAssertion({
        typ: CLIENT_AUTHENTICATION_JWT_TYPE,
        key: signing.key,
        alg: signing.alg,
        kid: signing.kid,
        iss: auth.clientId,
        sub: auth.clientId,
        aud: auth.audience,
        lifetimeSeconds: CLIENT_ASSERTION_LIFETIME_S,
      });
      return { form: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion } };
    }
  }
}

/** The grant's own form fields; empty optional values are left out. */
export function buildGrantForm(grant: GrantRequest): Record<string, string | readonly string[]> {
  const form: Record<string, string | readonly string[]> = {};
  if (grant.grantType !== 'token-exchange' && (grant.subjectToken || grant.actorToken)) throw new UsageError('--subject-token and --actor-token are only for token exchange');
  if (grant.grantType === 'jwt-bearer') {
    if (!grant.assertion) throw new UsageError('a jwt-bearer grant needs --assertion');
    form.grant_type = JWT_BEARER_GRANT;
    form.assertion = grant.assertion;
  } else if (grant.grantType === 'token-exchange') {
    if (grant.assertion) throw new UsageError('--assertion is only for the jwt-bearer grant');
    if (!grant.subjectToken) throw new UsageError('a token exchange needs --subject-token');
    form.grant_type = TOKEN_EXCHANGE_GRANT;
    form.subject_token = grant.subjectToken;
    form.subject_token_type = TOKEN_TYPE_BY_NAME[grant.subjectTokenType ?? 'jwt'];
    if (grant.actorToken) {
      form.actor_token = grant.actorToken;
      form.actor_token_type = TOKEN_TYPE_BY_NAME[grant.actorTokenType ?? 'jwt'];
    }
  } else {
    if (grant.assertion) throw new UsageError('--assertion is only for the jwt-bearer grant');
    form.grant_type = 'client_credentials';
  }
  if (grant.scope) form.scope = grant.scope;
  if (grant.resource && grant.resource.length > 0) form.resource = grant.resource;
  if (grant.audience && grant.audience.length > 0) form.audience = grant.audience;
  return form;
}

/** The URL of a sibling OAuth endpoint (`introspect`, `revoke`) of the token endpoint. */
export function siblingEndpoint(tokenUrl: string, name: 'introspect' | 'revoke'): string {
  return new URL(name, tokenUrl).toString();
}

/**
 * The broker's issuer identifier, which client assertions name as `aud`: the one
 * given, else the RFC 8414 metadata's `issuer`, else the token URL without its path.
 */
export async function resolveBrokerIssuer(tokenUrl: string, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  const origin = new URL(tokenUrl).origin;
  try {
    const { body } = await sendApiRequest<{ issuer?: unknown }>({ method: 'GET', url: `${origin}/.well-known/oauth-authorization-server` });
    if (typeof body?.issuer === 'string') return body.issuer;
  } catch {
    // Fall through: the origin is the usual issuer identifier.
  }
  return origin;
}

async function postForm<T>(url: string, fields: Record<string, string | readonly string[]>, auth: ClientAuthentication): Promise<T> {
  const authentication = await buildClientAuthentication(auth);
  const { body } = await sendApiRequest<T>({
    method: 'POST',
    url,
    form: { ...fields, ...authentication.form },
    ...(authentication.basicAuth ? { basicAuth: authentication.basicAuth } : {}),
  });
  return body;
}

export function requestToken(tokenUrl: string, grant: GrantRequest, auth: ClientAuthentication): Promise<TokenResponse> {
  return postForm<TokenResponse>(tokenUrl, buildGrantForm(grant), auth);
}

export function introspectToken(tokenUrl: string, token: string, auth: ClientAuthentication): Promise<Record<string, unknown>> {
  return postForm(siblingEndpoint(tokenUrl, 'introspect'), { token }, auth);
}

export async function revokeToken(tokenUrl: string, token: string, auth: ClientAuthentication): Promise<void> {
  await postForm<unknown>(siblingEndpoint(tokenUrl, 'revoke'), { token }, auth);
}
