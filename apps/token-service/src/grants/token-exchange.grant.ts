/**
 * The token exchange grant (RFC 8693; CONTRACT.md "Token exchange"): a token of a trusted
 * issuer (a partner's ID token, a CI job's OIDC token, a Kubernetes service-account
 * token) traded for one of the broker's, with no secret anywhere. Enforces, in order:
 * - `subject_token` and `subject_token_type` present, the type `jwt`, `id_token` or
 *   `access_token`; `requested_token_type` absent or `access_token`; `actor_token` and
 *   `actor_token_type` together or not at all (RFC 8693 §2.1) - else `invalid_request`;
 * - the subject token through the grant's rules (verifySubjectToken: the same sequence,
 *   `aud` in the issuer's `accepted_audiences`, not single-use), an unknown `kid`
 *   refreshing the issuer's keys once; any refusal `invalid_request` (§2.2.2);
 * - the issuer's settings as for the jwt-bearer grant (issuer-grant-policy.ts): client
 *   policy, scope (`invalid_scope`), every `audience` and `resource` (`invalid_target`),
 *   `claim_mappings`;
 * - a subject token of type `access_token` is one of the broker's own (broker-token-subject.ts):
 *   active (signature, expiry, not revoked), the caller a confidential client, and the
 *   exchange only narrows (scope ⊆ its scope, each target ⊆ its `aud`, `exp` no later);
 * - an issuer's token refused by its issuer's client policy; a refresh token where the
 *   issuer allows one (issue-refresh-token.ts);
 * - an actor token validated the same way (a broker token: active) under its own issuer's client policy; a
 *   subject token's `may_act` admits only an actor with its `sub` (and `iss`, where it
 *   names one); the issued token carries `act: {sub, iss}` of the actor (§4.1);
 * - the audit event holds the subject token only as its SHA-256.
 */
import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_TYPES } from '@trust-broker/contracts';
import { sha256Hex } from '@trust-broker/secrets';
import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import { AssertionError, verifySubjectToken, type VerifiedAssertion } from '@trust-broker/validation';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { IssuerTokenVerifier } from '../key-refresh/issuer-token-verifier';
import { fromAssertionError } from '../oauth/assertion-errors';
import { OAuthError } from '../oauth/oauth-error';
import { RefreshTokenStore } from '../refresh/refresh-token.store';
import type { CachedIssuer } from '../trust/trust.types';
import { BrokerTokenSubject } from './broker-token-subject';
import { TOKEN_EXCHANGE_GRANT, type GrantAuditFields, type GrantDecision, type GrantHandler, type GrantRequest } from './grant.types';
import { withRefreshToken } from './issue-refresh-token';
import { applyIssuerPolicy, checkClientPolicy, mapIssuerClaims, recordVerifiedFacts, recordVerifiedToken, requestedScope } from './issuer-grant-policy';
import { requestedTargetLists } from './resolve-audience';

/** Subject and actor token types taken from trusted issuers: JWTs they signed. */
const ISSUER_TOKEN_TYPES: ReadonlySet<string> = new Set([TOKEN_TYPES.jwt, TOKEN_TYPES.idToken]);
const ACCEPTED_TOKEN_TYPES: ReadonlySet<string> = new Set([...ISSUER_TOKEN_TYPES, TOKEN_TYPES.accessToken]);

/** Who a verified subject or actor token names, and what the exchange may carry over. */
interface ExchangedToken {
  sub: string;
  iss: string;
  claims: Record<string, unknown>;
  /** The trusted issuer, for a token of one (undefined for a broker token). */
  issuer?: CachedIssuer;
}

/** RFC 8693 §4.1 `act`: who acts, with the chain of earlier actors nested inside. */
interface ActClaim {
  sub: string;
  iss: string;
  act?: Record<string, unknown>;
}

@Injectable()
export class TokenExchangeGrant implements GrantHandler {
  /** RFC 8693 §2.1: any number of `audience` and `resource` values. */
  readonly repeatableParameters: ReadonlySet<string> = new Set(['audience', 'resource']);

  constructor(
    private readonly verifier: IssuerTokenVerifier,
    private readonly brokerTokens: BrokerTokenSubject,
    private readonly refreshTokens: RefreshTokenStore,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
  ) {}

  async exchange(request: GrantRequest): Promise<GrantDecision> {
    const { parameters } = request;
    const subjectToken = required(parameters.subject_token, 'subject_token');
    const subjectTokenType = required(parameters.subject_token_type, 'subject_token_type');
    request.audit.subjectTokenHash = sha256Hex(subjectToken);
    checkTokenType(subjectTokenType, 'subject_token_type');
    if (parameters.requested_token_type !== undefined && parameters.requested_token_type !== TOKEN_TYPES.accessToken) {
      throw new OAuthError('invalid_request', 'requested_token_type must be urn:ietf:params:oauth:token-type:access_token', 'token_type_unsupported');
    }
    const actorToken = readActorToken(parameters);
    const targets = requestedTargetLists(request.lists?.resource ?? [], request.lists?.audience ?? []);

    if (subjectTokenType === TOKEN_TYPES.accessToken) {
      const narrowed = await this.brokerTokens.narrow(subjectToken, request, targets);
      const act = await this.actClaim(actorToken, narrowed.claims, request);
      const carried = act ? { ...narrowed.decision.mappedClaims, act } : narrowed.decision.mappedClaims;
      return { ...narrowed.decision, mappedClaims: carried, issuedTokenType: TOKEN_TYPES.accessToken };
    }

    const subject = await this.verifyIssuerToken(subjectToken, request.audit, request.request);
    const { verified, issuer } = subject;
    recordVerifiedToken(verified, issuer, request.audit);
    const claims = verified.claims as Record<string, unknown>;
    const policy = applyIssuerPolicy(issuer, request.client, { scope: requestedScope(parameters.scope, claims), targets }, this.config.brokerIssuer, 'invalid_request');
    const { subject: tokenSubject, mappedClaims } = mapIssuerClaims(issuer, verified, 'invalid_request');
    request.audit.subject = tokenSubject;
    const act = await this.actClaim(actorToken, claims, request);
    const decision: GrantDecision = {
      subject: tokenSubject,
      audience: policy.audience,
      scopes: policy.scopes,
      ttlSeconds: issuer.row.access_token_ttl_s,
      idp: issuer.row.issuer,
      mappedClaims: act ? { ...mappedClaims, act } : mappedClaims,
      issuedTokenType: TOKEN_TYPES.accessToken,
    };
    return withRefreshToken(this.refreshTokens, issuer, request, decision, { assertionSubject: verified.subject, grantType: TOKEN_EXCHANGE_GRANT });
  }

  /**
   * RFC 8693 §4.1: the actor's `{sub, iss}`, the subject token's own `act` nested inside.
   * The actor's failures are recorded as what they are, without overwriting the subject's facts.
   */
  private async actClaim(actorToken: { token: string; type: string } | undefined, subjectClaims: Record<string, unknown>, request: GrantRequest): Promise<ActClaim | undefined> {
    if (actorToken === undefined) return undefined;
    let actor: ExchangedToken;
    if (actorToken.type === TOKEN_TYPES.accessToken) {
      const claims = await this.brokerTokens.verifyActive(actorToken.token, request.request);
      actor = { sub: String(claims.sub), iss: this.config.brokerIssuer, claims };
    } else {
      const { verified, issuer } = await this.verifyIssuerToken(actorToken.token, {}, request.request);
      checkClientPolicy(issuer, request.client, 'invalid_request');
      actor = { sub: verified.subject, iss: verified.issuer, claims: verified.claims as Record<string, unknown>, issuer };
    }
    checkMayAct(subjectClaims.may_act, actor);
    return { sub: actor.sub, iss: actor.iss, ...nestedAct(subjectClaims.act) };
  }

  private async verifyIssuerToken(token: string, audit: GrantAuditFields, request: LoggedRequest): Promise<{ verified: VerifiedAssertion; issuer: CachedIssuer }> {
    try {
      return await this.verifier.verify((findIssuer) => verifySubjectToken(token, { findIssuer }), request);
    } catch (error) {
      if (error instanceof AssertionError) {
        recordVerifiedFacts(error, audit);
        throw fromAssertionError(error);
      }
      throw error;
    }
  }
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new OAuthError('invalid_request', `the ${name} parameter is required`, 'token_exchange_parameter_missing');
  return value;
}

function checkTokenType(type: string, name: 'subject_token_type' | 'actor_token_type'): void {
  if (!ACCEPTED_TOKEN_TYPES.has(type)) {
    throw new OAuthError('invalid_request', `${name} must be urn:ietf:params:oauth:token-type:jwt, :id_token or :access_token`, 'token_type_unsupported');
  }
}

/** RFC 8693 §2.1: `actor_token_type` is required with `actor_token` and must not come without it. */
function readActorToken(parameters: GrantRequest['parameters']): { token: string; type: string } | undefined {
  const { actor_token: token, actor_token_type: type } = parameters;
  if (token === undefined && type === undefined) return undefined;
  if (token === undefined) throw new OAuthError('invalid_request', 'actor_token_type was sent without actor_token', 'token_exchange_parameter_missing');
  if (type === undefined) throw new OAuthError('invalid_request', 'the actor_token_type parameter is required with actor_token', 'token_exchange_parameter_missing');
  checkTokenType(type, 'actor_token_type');
  return { token, type };
}

/**
 * RFC 8693 §4.4: a subject token's `may_act` names who may act for its subject: the
 * actor's `sub` must equal its `sub`, and its `iss` its `iss` where it names one. A
 * `may_act` that is not such an object admits nobody (fail closed).
 */
function checkMayAct(mayAct: unknown, actor: ExchangedToken): void {
  if (mayAct === undefined) return;
  const allowed =
    typeof mayAct === 'object' &&
    mayAct !== null &&
    !Array.isArray(mayAct) &&
    (mayAct as Record<string, unknown>).sub === actor.sub &&
    ((mayAct as Record<string, unknown>).iss === undefined || (mayAct as Record<string, unknown>).iss === actor.iss);
  if (!allowed) throw new OAuthError('invalid_request', "the actor is not one the subject token's may_act admits", 'actor_not_allowed');
}

/** The subject token's own `act` (its earlier actors), nested inside the new actor's (RFC 8693 §4.1). */
function nestedAct(act: unknown): { act?: Record<string, unknown> } {
  return typeof act === 'object' && act !== null && !Array.isArray(act) ? { act: act as Record<string, unknown> } : {};
}
