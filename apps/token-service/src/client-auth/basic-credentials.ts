/**
 * Reads HTTP Basic client credentials (RFC 6749 §2.3.1, RFC 7617): the client_id and
 * secret are each form-urlencoded before base64, so both are decoded after splitting at
 * the first colon. Anything malformed is a failed authentication (401 with the challenge).
 */
import { clientAuthFailed } from './client-auth.errors';

export interface BasicCredentials {
  clientId: string;
  secret: string;
}

export function readBasicCredentials(header: string): BasicCredentials {
  const match = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) throw clientAuthFailed('basic_malformed', true);
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw clientAuthFailed('basic_malformed', true);
  const clientId = formUrlDecode(decoded.slice(0, colon));
  const secret = formUrlDecode(decoded.slice(colon + 1));
  if (clientId === undefined || secret === undefined || clientId === '') {
    throw clientAuthFailed('basic_malformed', true);
  }
  return { clientId, secret };
}

function formUrlDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
