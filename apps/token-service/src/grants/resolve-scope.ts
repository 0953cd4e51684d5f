/**
 * Scope (RFC 6749 §3.3, CONTRACT.md): the requested scopes must each be allowed by every
 * party that limits them (the issuer, and the client when one took part), else
 * `invalid_scope`; no scope requested gives what all of them allow.
 */
import { OAuthError } from '../oauth/oauth-error';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function parseScopeList(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((token) => token.length > 0))];
}

export function resolveScope(requested: string | undefined, allowedBy: readonly (readonly string[])[]): string[] {
  const allowedSets = allowedBy.map((list) => new Set(list));
  const allowedByAll = (scope: string) => allowedSets.every((set) => set.has(scope));
  if (requested === undefined) {
    const [first = []] = allowedBy;
    return [...new Set(first)].filter(allowedByAll);
  }
  const scopes = parseScopeList(requested);
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new OAuthError('invalid_scope', 'the scope parameter is malformed', 'scope_malformed');
  }
  const refused = scopes.filter((scope) => !allowedByAll(scope));
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', `scope not allowed: ${truncate(refused.join(' '))}`, 'scope_not_allowed');
  }
  return scopes;
}

function truncate(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}
