/**
 * `verifyFederatedClientAssertion(assertion, ctx)`: the client assertion of a
 * `federated_jwt` client (CONTRACT.md "Federated client authentication"; Azure's federated
 * identity credentials, Keycloak's federated client authentication): a JWT that a trusted
 * issuer minted for the workload, through the one issuer-token rule sequence. What makes
 * it federated client authentication:
 * - `iss` and `sub` exactly those of one of the client's credentials (refused before any
 *   lookup when no credential names the `iss`);
 * - that issuer's status, keys, algorithms, clock skew and maximum lifetime apply, and its
 *   `aud` contains one of the issuer's `accepted_audiences` (a string or an array: the
 *   one-value rule is for assertions the client signs itself);
 * - the issuer's `subjects`, `condition` and scopes play no part;
 * - `jti` required and single-use per client, unless the client allows reuse; admin
 *   revocations (by `jti` or the issuer key's `kid`) honoured.
 * Failures are AssertionError: `invalid_client`, `invalid_request` for a missing or
 * oversized parameter, `temporarily_unavailable` when a dependency fails.
 */
import { reject } from './assertion-kind';
import { checkAcceptedAudience } from './rules/check-audience';
import { requireSubject } from './rules/check-subject';
import { verifyIssuerToken, type IssuerTokenUse } from './verify-issuer-token';
import type { FederatedClientVerificationContext, VerifiedAssertion } from './types';

export function verifyFederatedClientAssertion(assertion: unknown, ctx: FederatedClientVerificationContext): Promise<VerifiedAssertion> {
  const { client } = ctx;
  const use: IssuerTokenUse = {
    kind: 'client',
    admitIssuer: (iss) => {
      if (!client.credentials.some((credential) => credential.issuer === iss)) {
        throw reject('client', 'issuer_unknown', "The assertion issuer is not one of the client's federated credentials");
      }
    },
    checkAudience: (claims, policy) => checkAcceptedAudience(claims, policy.acceptedAudiences, 'client'),
    resolveSubject: (claims, issuer) => {
      const subject = requireSubject(claims, 'client');
      if (!client.credentials.some((credential) => credential.issuer === issuer && credential.subject === subject)) {
        throw reject('client', 'subject_not_allowed', "The assertion subject is not the one of the client's federated credential");
      }
      return subject;
    },
    jti: () => ({
      required: !client.reuse,
      ...(client.reuse ? {} : { replayNamespace: client.replayNamespace }),
      ...(client.isRevoked !== undefined && { isRevoked: client.isRevoked }),
    }),
  };
  return verifyIssuerToken(assertion, ctx, use);
}
