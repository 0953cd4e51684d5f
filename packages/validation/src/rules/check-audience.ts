/**
 * Enforces `aud` (RFC 7523 §3 rule 3, RFC 7519 §4.1.3):
 * - grants: a string or array that contains the broker's issuer identifier or its token
 *   endpoint URL (CONTRACT.md);
 * - client assertions: exactly one value, the broker's issuer identifier
 *   (draft-ietf-oauth-rfc7523bis, the audience-injection fix); the token endpoint URL or
 *   the called endpoint's URL only with the compatibility setting on;
 * - a trusted issuer's token used as a token-exchange subject or actor token, or as a
 *   federated client assertion: a string or array that contains one of the issuer's
 *   `accepted_audiences` (CONTRACT.md; an ID token's `aud` is the client id at the
 *   partner's IdP, a workload token's the audience its platform was told to mint for).
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import type { AudienceContext } from '../types';

export function readAudience(claims: Record<string, unknown>, kind: AssertionKind): readonly string[] {
  const aud = claims.aud;
  if (aud === undefined) throw reject(kind, 'audience_missing', 'The assertion has no "aud" claim');
  if (typeof aud === 'string' && aud.length > 0) return [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((value) => typeof value === 'string' && value.length > 0)) return aud as string[];
  if (Array.isArray(aud) && aud.length === 0) throw reject(kind, 'audience_missing', 'The "aud" claim is empty');
  throw reject(kind, 'claims_malformed', 'The "aud" claim must be a string or an array of strings');
}

export function checkGrantAudience(claims: Record<string, unknown>, audience: AudienceContext): void {
  const values = readAudience(claims, 'grant');
  if (values.includes(audience.brokerIssuer) || values.includes(audience.tokenEndpoint)) return;
  throw reject('grant', 'audience_mismatch', 'The assertion audience does not identify this authorization server');
}

export function checkClientAudience(
  claims: Record<string, unknown>,
  audience: AudienceContext,
  options: { acceptEndpointAudience?: boolean | undefined; endpointUrl?: string | undefined },
): void {
  const values = readAudience(claims, 'client');
  if (values.length !== 1) throw reject('client', 'audience_multiple', 'A client assertion must carry exactly one audience value');
  const aud = values[0];
  if (aud === audience.brokerIssuer) return;
  if (options.acceptEndpointAudience === true && (aud === audience.tokenEndpoint || (options.endpointUrl !== undefined && aud === options.endpointUrl))) return;
  throw reject('client', 'audience_mismatch', "The client assertion audience must be this authorization server's issuer identifier");
}

export function checkAcceptedAudience(claims: Record<string, unknown>, accepted: readonly string[] | undefined, kind: AssertionKind): void {
  const values = readAudience(claims, kind);
  // No list (or an empty one) accepts nothing: fail closed.
  if (Array.isArray(accepted) && values.some((value) => accepted.includes(value))) return;
  throw reject(kind, 'audience_mismatch', "The token's audience is not one of the issuer's accepted audiences");
}
