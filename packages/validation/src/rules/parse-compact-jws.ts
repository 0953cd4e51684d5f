/**
 * Enforces: the assertion is a JWS in compact serialization (RFC 7515 §7.1) with a
 * JSON-object header and a JSON-object claims set (RFC 7519 §7.2 steps 1-10). A JWE
 * (5 parts) and the JSON serialization are refused (RFC 7523 §3 rule 8 needs no
 * encryption here; the contract accepts only compact JWS). Nothing is trusted yet.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import { splitCompactJws, type CompactJwsParts } from '../jws/compact-jws-parts';
import { parseJsonObject } from '../json-object';

export interface UnverifiedAssertion {
  /** The compact JWS, as received. */
  compact: string;
  /** Its parts, split and decoded once: the signature check reuses them. */
  parts: CompactJwsParts;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseCompactJws(compact: string, kind: AssertionKind): UnverifiedAssertion {
  const parts = splitCompactJws(compact);
  if (parts === undefined) throw describeShapeError(compact, kind);
  return {
    compact,
    parts,
    header: parseHeaderSegment(parts.headerSegment, kind),
    claims: parseClaimsSegment(parts.payloadSegment, kind),
  };
}

/** Only on failure: say whether it was the JSON serialization, a JWE, or just not a compact JWS. */
function describeShapeError(compact: string, kind: AssertionKind) {
  if (compact.trimStart().startsWith('{')) {
    return reject(kind, 'assertion_malformed', 'The assertion must use the JWS compact serialization, not the JSON serialization');
  }
  const parts = compact.split('.').length;
  if (parts === 5) return reject(kind, 'assertion_encrypted', 'Encrypted assertions (JWE) are not accepted');
  if (parts !== 3) return reject(kind, 'assertion_malformed', 'The assertion is not a compact JWS (three dot-separated parts)');
  return reject(kind, 'assertion_malformed', 'The assertion parts are not base64url');
}

function parseHeaderSegment(segment: string, kind: AssertionKind): Record<string, unknown> {
  const text = decodeSegment(segment, kind, 'header');
  const parsed = parseJsonObject(text);
  if (!parsed.ok) {
    const why = parsed.problem === 'duplicate_member' ? 'has a duplicate member' : 'is not a JSON object';
    throw reject(kind, 'header_invalid', `The assertion header ${why}`);
  }
  return parsed.value;
}

function parseClaimsSegment(segment: string, kind: AssertionKind): Record<string, unknown> {
  const text = decodeSegment(segment, kind, 'payload');
  const parsed = parseJsonObject(text);
  if (!parsed.ok) {
    const why = parsed.problem === 'duplicate_member' ? 'has a duplicate claim' : 'is not a JSON object';
    throw reject(kind, 'claims_malformed', `The assertion claims set ${why}`);
  }
  return parsed.value;
}

function decodeSegment(segment: string, kind: AssertionKind, part: 'header' | 'payload'): string {
  // A length of 4n+1 can never be base64url.
  if (segment.length % 4 === 1) {
    throw reject(kind, 'assertion_malformed', `The assertion ${part} is not base64url`);
  }
  try {
    return utf8.decode(Buffer.from(segment, 'base64url'));
  } catch (cause) {
    throw reject(kind, 'assertion_malformed', `The assertion ${part} is not UTF-8`, { cause });
  }
}
