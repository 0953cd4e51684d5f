/**
 * The client a token request claims to come from, read before anything is verified: the
 * per-client rate limit must count requests before the (costly) signature checks run.
 * Unverified on purpose; it only picks the counter. Order: Basic credentials, the
 * `client_id` parameter, then the client assertion's `sub` (RFC 7523 §3: sub = client_id),
 * read by the JWS core's parser so that the counter names the client the engine would see.
 */
import { MAX_ASSERTION_BYTES, unverifiedClaims } from '@trust-broker/validation';

export function claimedClientId(body: unknown, authorization: string | undefined): string | undefined {
  return fromBasic(authorization) ?? fromParameters(body);
}

function fromBasic(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    // RFC 6749 §2.3.1: the id is form-urlencoded before base64.
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')) || undefined;
  } catch {
    return undefined;
  }
}

function fromParameters(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { client_id: clientId, client_assertion: assertion } = body as Record<string, unknown>;
  if (typeof clientId === 'string' && clientId !== '') return clientId;
  // A compact JWS is ASCII (the parser refuses anything else), so its length is its size in bytes.
  if (typeof assertion === 'string' && assertion.length <= MAX_ASSERTION_BYTES) return subjectOf(assertion);
  return undefined;
}

function subjectOf(assertion: string): string | undefined {
  const sub = unverifiedClaims(assertion)?.sub;
  return typeof sub === 'string' && sub !== '' ? sub : undefined;
}
