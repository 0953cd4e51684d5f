/**
 * What introspection (RFC 7662) and revocation (RFC 7009) share on the OAuth pipeline:
 * their steps, readForm → authenticateClient → requireConfidentialCaller →
 * requireTokenParameter (`token` required: `invalid_request`) → verifyPresentedToken (one
 * of our access tokens? its `idp`, `sub`, `scope` and hashed `jti` for the audit event,
 * never the token) → findRefreshToken (else one of our refresh tokens? its family's
 * issuer, subject and scope) → the endpoint's decision; their answer (the decision's) and
 * their metrics. The shared steps are one provider (TokenManagementSteps), so an endpoint
 * asks only for what its decision needs.
 */
import { Inject, Injectable } from '@nestjs/common';
import { sha256Hex } from '@trust-broker/secrets';
import { ClientAuthenticator } from '../client-auth/client-authenticator.service';
import type { ClientAuthenticatorApi } from '../client-auth/client-auth.types';
import { OAuthError, type OAuthErrorCode } from '../oauth/oauth-error';
import { authenticateClient, readForm, requireConfidentialCaller } from '../oauth-pipeline/common-steps';
import type { EndpointContext, EndpointStep, OAuthEndpoint } from '../oauth-pipeline/endpoint.types';
import { RefreshTokenStore, type PresentedRefreshToken } from '../refresh/refresh-token.store';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';
import { TokenManagementMetrics } from './token-management-metrics';

export interface TokenManagementContext<A> extends EndpointContext {
  /** The `token` parameter (requireTokenParameter). */
  token?: string;
  /** The presented token's claims, when it is a valid access token of ours (verifyPresentedToken). */
  claims?: AccessTokenClaims;
  /** Else the refresh token of ours it is, whatever its state (findRefreshToken). */
  refreshToken?: PresentedRefreshToken;
  /** The decision's answer and its metric result (`active`, `revoked`...). */
  answer?: A;
  result?: string;
}

export function requireTokenParameter(context: TokenManagementContext<unknown>): void {
  const token = context.parameters.token;
  if (token === undefined) throw new OAuthError('invalid_request', 'the token parameter is required', 'token_missing');
  context.token = token;
}

/** Our own valid access token (signature with our keys, `iss`, `typ: at+jwt`, not expired)? Its identifiers go to the audit. */
function verifyPresentedToken(signer: AccessTokenSigner): EndpointStep<TokenManagementContext<unknown>> {
  return async function verifyPresentedToken(context) {
    const claims = await signer.verify(context.token!);
    if (!claims) return;
    context.claims = claims;
    const { audit } = context;
    if (typeof claims.idp === 'string') audit.issuer = claims.idp;
    if (typeof claims.sub === 'string') audit.subject = claims.sub;
    if (typeof claims.jti === 'string') audit.jtiHash = sha256Hex(claims.jti);
    if (typeof claims.scope === 'string') audit.scope = claims.scope;
  };
}

/** A decision's answer, its metric result and its audit details. */
export function decide<A>(context: TokenManagementContext<A>, answer: A, result: string, details: Record<string, unknown>): void {
  context.answer = answer;
  context.result = result;
  context.audit.details = details;
}

/** Not one of our access tokens: one of our refresh tokens (RFC 7009 §2.1, RFC 7662 §2.1: whatever `token_type_hint` says)? Its family goes to the audit. */
function findRefreshToken(refreshTokens: RefreshTokenStore): EndpointStep<TokenManagementContext<unknown>> {
  return async function findRefreshToken(context) {
    if (context.claims) return;
    const presented = await refreshTokens.find(context.token!);
    if (!presented) return;
    context.refreshToken = presented;
    const { family } = presented;
    context.audit.issuer = family.issuer;
    context.audit.subject = family.subject;
    context.audit.scope = family.scopes.join(' ');
  };
}

/** The steps introspection and revocation share, in order, built once with what they need. */
@Injectable()
export class TokenManagementSteps {
  readonly steps: ReadonlyArray<EndpointStep<TokenManagementContext<unknown>>>;

  constructor(
    @Inject(ClientAuthenticator) authenticator: ClientAuthenticatorApi,
    @Inject(AccessTokenSigner) signer: AccessTokenSigner,
    refreshTokens: RefreshTokenStore,
  ) {
    this.steps = [
      readForm,
      authenticateClient(authenticator),
      requireConfidentialCaller,
      requireTokenParameter,
      verifyPresentedToken(signer),
      findRefreshToken(refreshTokens),
    ];
  }
}

/** Introspection and revocation: the shared steps, then the endpoint's decision; the answer is the decision's. */
export abstract class TokenManagementEndpoint<A> implements OAuthEndpoint<TokenManagementContext<A>, A> {
  abstract readonly type: 'introspection' | 'revocation';
  readonly steps: ReadonlyArray<EndpointStep<TokenManagementContext<A>>>;
  private readonly metrics = new TokenManagementMetrics();

  protected constructor(shared: TokenManagementSteps, decision: EndpointStep<TokenManagementContext<A>>) {
    this.steps = [...shared.steps, decision];
  }

  answer(context: TokenManagementContext<A>): A {
    return context.answer as A;
  }

  /** Counted by the decision's result (`active`, `revoked`...) or the OAuth error answered. */
  count(context: TokenManagementContext<A>, error: OAuthErrorCode | undefined): void {
    this.metrics.record(this.type, error ?? context.result ?? 'unknown');
  }
}
