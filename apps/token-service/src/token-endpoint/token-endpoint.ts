/**
 * POST /oauth2/token (RFC 6749 §3.2, §4.4, §5; RFC 7523 §2.1, §2.2; CONTRACT.md "OAuth
 * endpoints") as its table of steps on the OAuth pipeline (oauth-pipeline/), which audits
 * every request before its answer, answers every failure through one path and gives back
 * the `jti`s of a request that ends without a token. Enforces, step by step:
 * - readForm: a form body, where only the parameters the grant named lets repeat may
 *   repeat (a token exchange's `audience`, `resource`); the `client_id` sent noted for the audit;
 * - findGrant: `grant_type` present (`invalid_request`) and in the grant table
 *   (grants/grant-table.ts; else `unsupported_grant_type`);
 * - authenticateClient: at most one method, verified; none: an anonymous request;
 * - limitPerClient: the per-client rate limit, only once the client authenticated (429);
 * - checkDpopProof: a `DPoP` header is one valid proof for POST to this endpoint (RFC 9449
 *   §4.3, `invalid_dpop_proof`); its key binds the access token (`cnf.jkt`, `token_type:
 *   DPoP`) and, where the grant issues one, the refresh token;
 * - checkGrantClient: the grant's own client rule (client_credentials: a confidential client, 401);
 * - checkClientMayUseGrant: the client's `grant_types` hold the grant (`unauthorized_client`);
 * - runGrant: the grant's handler decides subject, audience, scope, lifetime, claims (a grant
 *   that `defersReplayMarks`, jwt-bearer, has its and its DPoP proof's `jti`s recorded by the
 *   pipeline at the end, with its success audit event, in one Redis script);
 * - mintAccessToken: the signed access token (mint-access-token.ts).
 * A step that applies to the request as a whole, like checkDpopProof, goes after the client
 * is known and before the grant runs (marked in the table). A request that ends without
 * its answer withdraws the refresh token its grant issued (`withdraw`).
 */
import { Inject, Injectable } from '@nestjs/common';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import { ClientAuthenticator } from '../client-auth/client-authenticator.service';
import type { ClientAuthenticatorApi } from '../client-auth/client-auth.types';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { GrantTable } from '../grants/grant-table';
import { OAuthError, type OAuthErrorCode } from '../oauth/oauth-error';
import { authenticateClient, readFormRepeating } from '../oauth-pipeline/common-steps';
import type { EndpointStep, OAuthEndpoint } from '../oauth-pipeline/endpoint.types';
import { DpopProofVerifier } from '../dpop/dpop-proof.verifier';
import { ClientRateLimit } from '../rate-limit/client-rate-limit';
import { RefreshTokenStore } from '../refresh/refresh-token.store';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import { mintAccessToken } from './mint-access-token';
import type { TokenContext } from './token-context';
import type { TokenResponseBody } from './token-request.types';
import { TokenMetrics } from './token-metrics';

@Injectable()
export class TokenEndpoint implements OAuthEndpoint<TokenContext, TokenResponseBody> {
  readonly type = 'token';
  readonly steps: ReadonlyArray<EndpointStep<TokenContext>>;
  private readonly metrics = new TokenMetrics();
  private readonly logger = new RequestLogger(TokenEndpoint.name);

  constructor(
    grants: GrantTable,
    @Inject(ClientAuthenticator) authenticator: ClientAuthenticatorApi,
    clientRateLimit: ClientRateLimit,
    @Inject(AccessTokenSigner) signer: AccessTokenSigner,
    @Inject(TOKEN_SERVICE_CONFIG) config: TokenServiceConfig,
    dpopProofs: DpopProofVerifier,
    private readonly refreshTokens: RefreshTokenStore,
  ) {
    this.steps = [
      readFormRepeating((body) => grants.find(grantTypeIn(body))?.repeatableParameters),
      findGrant(grants),
      authenticateClient(authenticator),
      limitPerClient(clientRateLimit),
      // Request-level proofs go here: the client is known, no grant has run.
      checkDpopProof(dpopProofs),
      checkGrantClient,
      checkClientMayUseGrant,
      runGrant,
      mintAccessToken(signer, config),
    ];
  }

  answer(context: TokenContext): TokenResponseBody {
    return context.response!;
  }

  count(context: TokenContext, error: OAuthErrorCode | undefined): void {
    this.metrics.record(context.audit.grantType, error, context.startedAt);
  }

  /** The refresh token the grant issued goes back (a rotation is undone), so a 503 after a refresh does not end the family. */
  async withdraw(context: TokenContext): Promise<void> {
    const refreshToken = context.decision?.refreshToken;
    if (refreshToken === undefined) return;
    // Best effort: if Postgres does not take it, the token stays issued but unknown to the client (fail closed).
    await this.refreshTokens.withdraw(refreshToken).catch((error: Error) => this.logger.warn(context.request, `refresh token not withdrawn: ${error.message}`));
  }
}

/** The `grant_type` sent, read before the form is checked: it picks which parameters may repeat. */
function grantTypeIn(body: unknown): string {
  const grantType = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).grant_type : undefined;
  return typeof grantType === 'string' ? grantType : '';
}

/** RFC 6749 §5.2: a missing grant_type is `invalid_request`, one not in the grant table `unsupported_grant_type`. */
function findGrant(grants: GrantTable): EndpointStep<TokenContext> {
  return function findGrant(context) {
    const grantType = context.parameters.grant_type;
    if (grantType === undefined) throw new OAuthError('invalid_request', 'the grant_type parameter is required', 'grant_type_missing');
    const handler = grants.find(grantType);
    if (!handler) throw new OAuthError('unsupported_grant_type', 'this grant type is not supported', 'grant_type_unsupported');
    context.grant = { grantType, handler };
    context.audit.grantType = grantType;
  };
}

/** Counted per client only once it authenticated: an unverified `client_id` never uses up a client's budget. */
function limitPerClient(clientRateLimit: ClientRateLimit): EndpointStep<TokenContext> {
  return function limitPerClient(context) {
    return clientRateLimit.consume(context.client, context.request);
  };
}

/** RFC 9449 §4.3: a `DPoP` header must be one valid proof for this request; its key then binds the tokens. */
function checkDpopProof(dpopProofs: DpopProofVerifier): EndpointStep<TokenContext> {
  const bindToProof = async (context: TokenContext, header: string | string[]): Promise<void> => {
    // A grant that defers its marks defers the proof's too: one script records them all.
    const guard = context.grant?.handler.defersReplayMarks ? context.replayGuard.deferring('dpop') : context.replayGuard;
    const proof = await dpopProofs.verify(header, guard);
    if (!proof) return;
    context.dpopJkt = proof.jkt;
    context.audit.dpopJkt = proof.jkt;
  };
  return function checkDpopProof(context) {
    const header = context.request.headers.dpop;
    // Without a header nothing is checked: no async step for the requests that send none.
    return header === undefined ? undefined : bindToProof(context, header);
  };
}

function checkGrantClient(context: TokenContext): void {
  context.grant!.handler.checkClient?.(context.client);
}

/** RFC 6749 §5.2 `unauthorized_client`: the client's registered `grant_types` must include the grant. */
function checkClientMayUseGrant(context: TokenContext): void {
  if (context.client && !context.client.client.grant_types.includes(context.grant!.grantType)) {
    throw new OAuthError('unauthorized_client', 'this client may not use this grant type', 'grant_type_not_allowed');
  }
}

async function runGrant(context: TokenContext): Promise<void> {
  const { parameters, lists, client, audit, dpopJkt } = context;
  const { handler } = context.grant!;
  const replayGuard = handler.defersReplayMarks ? context.replayGuard.deferring('grant') : context.replayGuard;
  const decision = await handler.exchange({ parameters, lists, client, audit, replayGuard, dpopJkt, request: context.request });
  audit.scope = decision.scopes.join(' ');
  context.decision = decision;
}
