/**
 * The token endpoint's DPoP step (RFC 9449 §4.3, §5): a request with a `DPoP` header
 * must carry exactly one valid proof for `POST` to the token endpoint URL; its `jti`
 * goes through the request's replay guard (the same Redis store as assertions, given back
 * if the request ends without a token). The rules are validation's `verifyDpopProof`;
 * a refused proof is 400 `invalid_dpop_proof`, a replay store that does not answer 503.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AssertionError, verifyDpopProof, type ReplayGuard, type VerifiedDpopProof } from '@trust-broker/validation';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { fromAssertionError } from '../oauth/assertion-errors';
import { OAuthError } from '../oauth/oauth-error';

@Injectable()
export class DpopProofVerifier {
  constructor(@Inject(TOKEN_SERVICE_CONFIG) private readonly config: Pick<TokenServiceConfig, 'tokenEndpoint'>) {}

  /** The verified proof, or undefined when the request has no `DPoP` header. */
  async verify(header: string | string[] | undefined, replayGuard: ReplayGuard): Promise<VerifiedDpopProof | undefined> {
    if (header === undefined) return undefined;
    // RFC 9449 §4.3 step 1: exactly one DPoP header (Node keeps repeated ones as an array or joins them with ", ").
    if (Array.isArray(header) || header.includes(',')) {
      throw new OAuthError('invalid_dpop_proof', 'exactly one DPoP header is allowed', 'assertion_malformed');
    }
    try {
      return await verifyDpopProof(header, { method: 'POST', url: this.config.tokenEndpoint, replayGuard });
    } catch (error) {
      throw error instanceof AssertionError ? fromAssertionError(error) : error;
    }
  }
}
