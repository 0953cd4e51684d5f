/**
 * `POST /oauth2/revoke` (RFC 7009) as a pipeline: form body → confidential client
 * authenticated → `token` required → our own valid token? → issued to this client? →
 * `jti` marked revoked → audit event. Enforces:
 * - 200 with an empty body whether or not the token was valid (§2.2): an invalid,
 *   expired or foreign token needs no revocation, and the answer reveals nothing;
 * - a token issued to another client (or to no client) is not revoked (§2.1), still 200;
 * - `token_type_hint` is ignored (§2.1 allows it): the broker issues only access tokens
 *   and must look the token up across all its types anyway; `unsupported_token_type`
 *   would only apply to a type it can locate but not revoke, which it does not have;
 * - the store unreachable: 503, the client retries (revocation is idempotent), with the same
 *   client assertion if it likes: its `jti` is given back when the answer is not 200.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '@trust-broker/service-kit';
import { AuditPublisher } from '../audit/audit-publisher.service';
import { ClientAuthenticator } from '../client-auth/client-authenticator.service';
import type { AuthenticatedClient, ClientAuthenticatorApi } from '../client-auth/client-auth.types';
import { readFormParameters } from '../oauth/form-body';
import { ReplayGuardService } from '../replay/replay-guard.service';
import { givingBackOnFailure, type ReplayLedger } from '../replay/replay-ledger';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';
import { RevocationStore } from './revocation-store.service';
import { TokenManagementMetrics } from './token-management-metrics';
import {
  authenticateConfidentialCaller,
  buildTokenManagementAuditEvent,
  requireTokenParameter,
  toEndpointError,
  type OAuthHttpRequest,
  type TokenManagementAuditInput,
} from './token-management-request';

interface RevocationContext {
  client?: AuthenticatedClient;
  claims?: AccessTokenClaims;
}

type RevocationOutcome = Pick<TokenManagementAuditInput, 'outcome' | 'reason' | 'details'>;

@Injectable()
export class RevocationService {
  private readonly metrics = new TokenManagementMetrics();

  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticatorApi,
    private readonly signer: AccessTokenSigner,
    private readonly store: RevocationStore,
    private readonly audit: AuditPublisher,
    private readonly replayGuard: ReplayGuardService,
  ) {}

  handle(request: OAuthHttpRequest): Promise<void> {
    return givingBackOnFailure(this.replayGuard, (ledger) => this.answer(request, ledger));
  }

  private async answer(request: OAuthHttpRequest, ledger: ReplayLedger): Promise<void> {
    const context: RevocationContext = {};
    let outcome: RevocationOutcome;
    try {
      outcome = await this.revoke(request, context, ledger);
    } catch (error) {
      const answered = toEndpointError(error);
      const reason = answered instanceof ApiError ? answered.reason : 'internal_error';
      const code = answered instanceof ApiError ? answered.error : 'server_error';
      this.metrics.record('revocation', code);
      await this.publish({ ...context, request, outcome: 'failure', reason, error: code });
      throw answered;
    }
    await this.publish({ ...context, request, ...outcome });
    this.metrics.record('revocation', outcome.details?.revoked === true ? 'revoked' : 'not_revoked');
  }

  private async revoke(request: OAuthHttpRequest, context: RevocationContext, ledger: ReplayLedger): Promise<RevocationOutcome> {
    const contentType = request.headers['content-type'];
    const parameters = readFormParameters(request.body, typeof contentType === 'string' ? contentType : undefined);
    context.client = await authenticateConfidentialCaller(this.authenticator, 'revocation', request, parameters, ledger);
    const token = requireTokenParameter(parameters);
    const claims = await this.signer.verify(token);
    if (!claims) return { outcome: 'success', details: { revoked: false, token_valid: false } };
    context.claims = claims;
    if (claims.client_id !== context.client.clientId) {
      return { outcome: 'failure', reason: 'token_of_another_client', details: { revoked: false, token_valid: true } };
    }
    await this.store.revoke({ jti: claims.jti, expiresAt: claims.exp, clientId: context.client.clientId });
    return { outcome: 'success', details: { revoked: true } };
  }

  private async publish(input: Omit<TokenManagementAuditInput, 'type'>): Promise<void> {
    try {
      await this.audit.publish(buildTokenManagementAuditEvent({ ...input, type: 'revocation' }));
    } catch (error) {
      throw toEndpointError(error);
    }
  }
}
