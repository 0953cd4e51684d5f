/**
 * Reads an HTTP Basic `Authorization` header (RFC 6749 §2.3.1, RFC 7617) in one pass: the
 * scheme, then the credentials, whose client_id and secret are each form-urlencoded before
 * base64, so both are decoded after splitting at the first colon. A Basic header that
 * cannot be read is `malformed`: the method's step refuses it (401 with the challenge).
 */

export interface BasicCredentials {
  clientId: string;
  secret: string;
}

/** The scheme, then a well-formed token (captured) or anything else (a Basic attempt all the same). */
const BASIC_AUTHORIZATION = /^\s*basic(?:\s+([A-Za-z0-9+/=_-]+)\s*$|(?=\s|$))/i;

/** Undefined when the header's scheme is not Basic. */
export function readBasicAuthorization(header: string): BasicCredentials | 'malformed' | undefined {
  const match = BASIC_AUTHORIZATION.exec(header);
  if (!match) return undefined;
  if (match[1] === undefined) return 'malformed';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  const clientId = formUrlDecode(decoded.slice(0, colon));
  const secret = formUrlDecode(decoded.slice(colon + 1));
  if (clientId === undefined || secret === undefined || clientId === '') return 'malformed';
  return { clientId, secret };
}

function formUrlDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
