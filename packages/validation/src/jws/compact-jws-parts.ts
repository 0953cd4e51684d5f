/**
 * `splitCompactJws(compact)`: the three parts of a JWS in compact serialization
 * (RFC 7515 §7.1), checked once so that nothing downstream splits or decodes again.
 *
 * Enforces: exactly three dot-separated parts, the header and payload non-empty and in
 * the base64url alphabet (RFC 7515 §2: no padding, no `+`/`/`, no whitespace). The
 * signing input is those exact ASCII characters (RFC 7515 §5.2 step 8), so no two
 * different assertions can share one. The signature's octets are kept only when its
 * text is strict, canonical base64url (re-encoding gives the same text, so the unused
 * low bits of the last character are zero); anything else never verifies.
 */

import { parseJsonObject } from '../json-object';

/** Three base64url parts; the signature may be empty so that `alg: none` is reported as such. */
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/;

declare const checked: unique symbol;

export interface CompactJwsParts {
  readonly headerSegment: string;
  readonly payloadSegment: string;
  /** `<header>.<payload>` as ASCII octets: what the signature covers. */
  readonly signingInput: Buffer;
  /** The signature octets; undefined when the signature text is empty or not canonical base64url. */
  readonly signature: Buffer | undefined;
  /** Only `splitCompactJws` makes these: the checks above have run. */
  readonly [checked]: true;
}

/** The parts of `compact`, or undefined when it is not three base64url parts. */
export function splitCompactJws(compact: string): CompactJwsParts | undefined {
  const match = COMPACT_JWS.exec(compact);
  if (match === null) return undefined;
  const headerSegment = match[1] as string;
  const payloadSegment = match[2] as string;
  return {
    headerSegment,
    payloadSegment,
    // The regex allows only ASCII, so latin1 is the exact byte-for-character encoding.
    signingInput: Buffer.from(compact.slice(0, headerSegment.length + 1 + payloadSegment.length), 'latin1'),
    signature: decodeCanonicalBase64url(match[3] as string),
  } as CompactJwsParts;
}

/** The octets of `text` (already known to be in the base64url alphabet), or undefined unless it is their only encoding. */
function decodeCanonicalBase64url(text: string): Buffer | undefined {
  // Empty, or a length of 4n+1, is never an encoding of anything.
  const tail = text.length % 4;
  if (text.length === 0 || tail === 1) return undefined;
  // The last character of a 4n+2 (4n+3) text carries 4 (2) unused low bits: canonical only when
  // they are zero, exactly when re-encoding the octets gives the same text (RFC 4648 §3.5).
  if (tail !== 0 && (BASE64URL_VALUE.indexOf(text.charAt(text.length - 1)) & (tail === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  return Buffer.from(text, 'base64url');
}

const BASE64URL_VALUE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON object a header or payload segment encodes (UTF-8, no duplicate member names:
 * `json-object.ts`), or undefined. For JWSs whose failures need no reason of their own
 * (the broker's own tokens, `unverifiedClaims`); assertions being verified go through
 * `parse-compact-jws.ts`, which says why.
 */
export function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  if (segment.length % 4 === 1) return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(Buffer.from(segment, 'base64url'));
  } catch {
    return undefined;
  }
  const parsed = parseJsonObject(text);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * The claims of a compact JWS, read without verifying anything: only to pick a counter or
 * to refuse early (the rate limiter's client, the grant's trusted issuer), never to trust.
 * Undefined unless `compact` is a JWS this core would go on to verify.
 */
export function unverifiedClaims(compact: string): Record<string, unknown> | undefined {
  // The shape splitCompactJws checks, without the signing input and signature octets it builds for a verification.
  const match = COMPACT_JWS.exec(compact);
  return match === null ? undefined : decodeJsonSegment(match[2] as string);
}
