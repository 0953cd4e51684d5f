/**
 * Verifies a JWT that a trusted issuer signed (a grant assertion, a token-exchange subject
 * or actor token, a federated client assertion) against the trust cache: the active,
 * unexpired issuer with exactly its `iss`, and, when the issuer holds no key with the
 * token's `kid`, one key refresh from the registry (CONTRACT.md "Propagation": waits up
 * to KEY_REFRESH_WAIT_MS) and one more verification. The rule engine's AssertionError
 * leaves as it is; each caller turns it into its endpoint's answer.
 */
import { Injectable } from '@nestjs/common';
import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import type { TrustedIssuerPolicy, VerifiedAssertion } from '@trust-broker/validation';
import { isUnknownKid } from '../oauth/assertion-errors';
import { TrustCache } from '../trust/trust-cache.service';
import type { CachedIssuer } from '../trust/trust.types';
import { KeyRefreshService } from './key-refresh.service';

/** Runs one of the engine's verifications with the lookup it is given. */
export type IssuerTokenVerification = (findIssuer: (iss: string) => TrustedIssuerPolicy | undefined) => Promise<VerifiedAssertion>;

@Injectable()
export class IssuerTokenVerifier {
  constructor(
    private readonly trust: TrustCache,
    private readonly keyRefresh: KeyRefreshService,
  ) {}

  /** `request`: the request being served, named by the key refresh's lines. */
  async verify(verification: IssuerTokenVerification, request?: LoggedRequest): Promise<{ verified: VerifiedAssertion; issuer: CachedIssuer }> {
    let found: CachedIssuer | undefined;
    let keysVersionAtLookup = -1;
    const findIssuer = (iss: string): TrustedIssuerPolicy | undefined => {
      const issuer = this.trust.findActiveIssuer(iss);
      if (!issuer) return undefined;
      found = issuer;
      keysVersionAtLookup = issuer.keysVersion;
      return issuer.policy;
    };
    try {
      const verified = await verification(findIssuer);
      return { verified, issuer: found! };
    } catch (error) {
      if (!isUnknownKid(error) || !found) throw error;
      found.keys.reportSkipped(request);
      const changed = await this.keyRefresh.refreshAndWait('issuer', found.row.id, error.kid, keysVersionAtLookup, request);
      if (!changed) throw error;
      const verified = await verification(findIssuer);
      return { verified, issuer: found };
    } finally {
      // The engine imported the issuer's keys, if this was their first use.
      (found as CachedIssuer | undefined)?.keys.reportSkipped(request);
    }
  }
}
