/**
 * POST /oauth2/token as a pipeline of small named steps (RFC 6749 §3.2, §4.4, §5;
 * RFC 7523 §2.1, §2.2; CONTRACT.md "OAuth endpoints"):
 *   readParameters → findGrant → authenticateClient → limitPerClient → checkDpopProof →
 *   the grant's checkClient (client_credentials: a confidential client) → checkClientMayUseGrant →
 *   the grant (grant-table.ts, by grant_type) → mintAccessToken → publishAuditEvent → respond.
 * A valid DPoP proof (RFC 9449) binds the access token to its key (`cnf.jkt`, `token_type:
 * DPoP`) and, where a grant issues one, the refresh token too.
 * Every request, success or failure, makes exactly one audit event, enqueued BEFORE the
 * answer: if it cannot be enqueued, nothing is issued (503). A request that answers without a
 * token gives back the `jti`s it recorded (ReplayLedger), so a retry of the same assertions
 * can succeed, and withdraws the refresh token its grant issued (a rotation is undone), so
 * a 503 after a refresh does not end the family. Errors are OAuthErrors; the rule engine's
 * are converted where they arise.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuditEventInput } from '@trust-broker/contracts';
import { AuditPublisher } from '../audit/audit-publisher.service';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import { ClientAuthenticator } from '../client-auth/client-authenticator.service';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { DpopProofVerifier } from '../dpop/dpop-proof.verifier';
import { RefreshTokenStore } from '../refresh/refresh-token.store';
import type { GrantAuditFields, GrantDecision, GrantHandler } from '../grants/grant.types';
import { GrantTable } from '../grants/grant-table';
import { dependencyUnavailableAnswer, DependencyUnavailableError } from '../oauth/dependency-unavailable';
import { readForm, type FormParameters } from '../oauth/form-body';
import { OAuthError, type VerifiedClientFacts } from '../oauth/oauth-error';
import { ClientRateLimit } from '../rate-limit/client-rate-limit';
import { ReplayGuardService } from '../replay/replay-guard.service';
import { givingBackOnFailure, type ReplayLedger } from '../replay/replay-ledger';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import { TokenMetrics } from './token-metrics';
import type { TokenHttpRequest, TokenResponseBody } from './token-request.types';

/** Largest access token issued: what common HTTP header limits (8 KiB) carry. */
export const MAX_ACCESS_TOKEN_BYTES = 8192;

/** One request's identifiers, filled in step by step for its audit event. */
interface TokenAudit extends GrantAuditFields {
  grantType?: string;
  /** The authenticated client (also the actor). */
  clientId?: string;
  /** The `client_id` parameter as sent, for failures before or during authentication. */
  claimedClientId?: string;
  clientKid?: string;
  tokenJti?: string;
  dpopJkt?: string;
}

@Injectable()
export class TokenEndpointService {
  private readonly logger = new Logger(TokenEndpointService.name);
  private readonly metrics = new TokenMetrics();

  constructor(
    private readonly clientAuthenticator: ClientAuthenticator,
    private readonly grants: GrantTable,
    private readonly audit: AuditPublisher,
    @Inject(AccessTokenSigner) private readonly signer: AccessTokenSigner,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
    private readonly replayGuard: ReplayGuardService,
    private readonly clientRateLimit: ClientRateLimit,
    private readonly dpopProofs: DpopProofVerifier,
    private readonly refreshTokens: RefreshTokenStore,
  ) {}

  handle(request: TokenHttpRequest): Promise<TokenResponseBody> {
    // A jti is used up only by a request that answers with a token (see ReplayLedger).
    return givingBackOnFailure(this.replayGuard, (ledger) => this.answer(request, ledger));
  }

  private async answer(request: TokenHttpRequest, ledger: ReplayLedger): Promise<TokenResponseBody> {
    const startedAt = process.hrtime.bigint();
    const audit: TokenAudit = {};
    let response: TokenResponseBody;
    try {
      response = await this.issue(request, audit, ledger);
    } catch (error) {
      const failure = asOAuthError(error, this.logger);
      this.metrics.record(audit.grantType, failure.code, startedAt);
      await this.publishOrFail(this.auditEvent(request, audit, failure));
      throw error instanceof OAuthError ? error : failure;
    }
    try {
      await this.publishOrFail(this.auditEvent(request, audit));
    } catch (error) {
      this.metrics.record(audit.grantType, 'temporarily_unavailable', startedAt);
      await this.withdrawRefreshToken(response.refresh_token);
      throw error;
    }
    this.metrics.record(audit.grantType, undefined, startedAt);
    return response;
  }

  private async issue(request: TokenHttpRequest, audit: TokenAudit, ledger: ReplayLedger): Promise<TokenResponseBody> {
    const { parameters, lists } = readForm(request.body, request.contentType, this.repeatableParameters(request.body));
    if (parameters.client_id !== undefined) audit.claimedClientId = parameters.client_id;
    const grant = this.findGrant(parameters, audit);
    const client = await this.clientAuthenticator.authenticate({
      endpoint: 'token',
      authorization: request.authorization,
      parameters,
      replayGuard: ledger,
    });
    recordClient(client, audit);
    await this.clientRateLimit.consume(client);
    const dpop = await this.dpopProofs.verify(request.dpop, ledger);
    if (dpop) audit.dpopJkt = dpop.jkt;
    grant.handler.checkClient?.(client);
    checkClientMayUseGrant(client, grant.grantType);
    const decision = await grant.handler.exchange({ parameters, lists, client, audit, replayGuard: ledger, ...(dpop && { dpopJkt: dpop.jkt }) });
    audit.scope = decision.scopes.join(' ');
    try {
      return await this.mintAccessToken(decision, client, audit);
    } catch (error) {
      await this.withdrawRefreshToken(decision.refreshToken);
      throw error;
    }
  }

  /** Best effort: if Postgres does not take it, the token stays issued but unknown to the client (fail closed). */
  private async withdrawRefreshToken(refreshToken: string | undefined): Promise<void> {
    if (refreshToken === undefined) return;
    await this.refreshTokens.withdraw(refreshToken).catch((error: Error) => this.logger.warn(`refresh token not withdrawn: ${error.message}`));
  }

  /** RFC 6749 §5.2: a missing grant_type is `invalid_request`, one not in the grant table `unsupported_grant_type`. */
  /** The parameters the grant named in the body lets repeat (read before the grant type is checked). */
  private repeatableParameters(body: unknown): ReadonlySet<string> | undefined {
    const grantType = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).grant_type : undefined;
    return typeof grantType === 'string' ? this.grants.find(grantType)?.repeatableParameters : undefined;
  }

  private findGrant(parameters: FormParameters, audit: TokenAudit): { grantType: string; handler: GrantHandler } {
    const grantType = parameters.grant_type;
    if (grantType === undefined) throw new OAuthError('invalid_request', 'the grant_type parameter is required', 'grant_type_missing');
    const handler = this.grants.find(grantType);
    if (!handler) throw new OAuthError('unsupported_grant_type', 'this grant type is not supported', 'grant_type_unsupported');
    audit.grantType = grantType;
    return { grantType, handler };
  }

  private async mintAccessToken(decision: GrantDecision, client: AuthenticatedClient | undefined, audit: TokenAudit): Promise<TokenResponseBody> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const scope = decision.scopes.join(' ');
    const claims: AccessTokenClaims = {
      ...decision.mappedClaims,
      iss: this.config.brokerIssuer,
      sub: decision.subject,
      aud: decision.audience.length === 1 ? decision.audience[0]! : decision.audience,
      exp: issuedAt + decision.ttlSeconds,
      iat: issuedAt,
      jti: randomUUID(),
      scope,
      ...(client ? { client_id: client.clientId } : {}),
      ...(decision.idp !== undefined ? { idp: decision.idp } : {}),
      // RFC 9449 §6.1: the token is bound to the proof's key.
      ...(audit.dpopJkt !== undefined ? { cnf: { jkt: audit.dpopJkt } } : {}),
    };
    const accessToken = await this.signer.sign(claims);
    // Mapped claims could make a token longer than verifiers (and HTTP headers) take: refuse, issue nothing.
    if (Buffer.byteLength(accessToken, 'utf8') > MAX_ACCESS_TOKEN_BYTES) {
      throw new OAuthError('invalid_grant', `the access token would exceed ${MAX_ACCESS_TOKEN_BYTES} bytes; the issuer's claim_mappings produce too much for this assertion`, 'token_too_large');
    }
    audit.tokenJti = claims.jti;
    return {
      access_token: accessToken,
      token_type: audit.dpopJkt !== undefined ? 'DPoP' : 'Bearer',
      expires_in: decision.ttlSeconds,
      scope,
      ...(decision.issuedTokenType !== undefined ? { issued_token_type: decision.issuedTokenType } : {}),
      ...(decision.refreshToken !== undefined && { refresh_token: decision.refreshToken }),
    };
  }

  private async publishOrFail(event: AuditEventInput): Promise<void> {
    try {
      await this.audit.publish(event);
    } catch (error) {
      throw error instanceof DependencyUnavailableError ? dependencyUnavailableAnswer(error) : error;
    }
  }

  private auditEvent(request: TokenHttpRequest, audit: TokenAudit, failure?: OAuthError): AuditEventInput {
    // A client assertion refused after its signature verified: its client and key are known, not authenticated (the actor stays anonymous).
    const verified = failure?.verifiedClient;
    return {
      id: randomUUID(),
      type: 'token',
      occurred_at: new Date().toISOString(),
      outcome: failure ? 'failure' : 'success',
      reason: failure ? clip(failure.reason ?? failure.code, 128) : null,
      error: failure ? failure.code : null,
      actor: audit.clientId !== undefined ? clip(`client:${audit.clientId}`, 256) : 'anonymous',
      issuer: audit.issuer !== undefined ? clip(audit.issuer, 2048) : null,
      client_id: clipOrNull(audit.clientId ?? verified?.clientId ?? audit.claimedClientId, 256),
      subject: audit.subject !== undefined ? clip(audit.subject, 1024) : null,
      kid: audit.kid !== undefined ? clip(audit.kid, 256) : null,
      client_kid: clipOrNull(audit.clientKid ?? verified?.clientKid, 256),
      jti_hash: audit.jtiHash ?? null,
      scope: audit.scope !== undefined ? clip(audit.scope, 4096) : null,
      grant_type: audit.grantType !== undefined ? clip(audit.grantType, 256) : null,
      request_id: clip(request.requestId, 128),
      remote_addr: clip(request.remoteAddr, 64),
      details: auditDetails(audit, failure ? verified : undefined, failure !== undefined),
    };
  }
}

function recordClient(client: AuthenticatedClient | undefined, audit: TokenAudit): void {
  if (!client) return;
  audit.clientId = client.clientId;
  if (client.assertionKid !== undefined) audit.clientKid = client.assertionKid;
}

/** RFC 6749 §5.2 `unauthorized_client`: the client's registered `grant_types` must include the grant. */
function checkClientMayUseGrant(client: AuthenticatedClient | undefined, grantType: string): void {
  if (!client) return;
  if (!client.client.grant_types.includes(grantType)) {
    throw new OAuthError('unauthorized_client', 'this client may not use this grant type', 'grant_type_not_allowed');
  }
}

/** The error to record and answer: OAuth errors as they are; a dependency that did not answer is 503; anything else 500. */
function asOAuthError(error: unknown, logger: Logger): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof DependencyUnavailableError) return dependencyUnavailableAnswer(error);
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return new OAuthError('server_error', 'internal error', 'internal_error');
}

function clip(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

function clipOrNull(value: string | undefined, max: number): string | null {
  return value === undefined ? null : clip(value, max);
}

/** The verified client assertion's `jti` (hashed): the `jti_hash` field holds the grant assertion's. */
/**
 * On success the issued token's `jti`; on failure the verified client assertion's `jti`
 * hash; a token-exchange subject token only as its SHA-256, either way; the DPoP key's
 * thumbprint and the refresh-token family, when there are.
 */
function auditDetails(audit: TokenAudit, verified: VerifiedClientFacts | undefined, failed: boolean): Record<string, unknown> | null {
  const details: Record<string, unknown> = {};
  if (failed && verified?.clientJtiHash !== undefined) details.client_jti_hash = verified.clientJtiHash;
  if (!failed && audit.tokenJti !== undefined) details.token_jti = audit.tokenJti;
  if (audit.subjectTokenHash !== undefined) details.subject_token_sha256 = audit.subjectTokenHash;
  if (audit.dpopJkt !== undefined) details.dpop_jkt = audit.dpopJkt;
  if (audit.refreshFamilyId !== undefined) details.refresh_family_id = audit.refreshFamilyId;
  return Object.keys(details).length > 0 ? details : null;
}

