/**
 * The access token's audience (RFC 8707 `resource`, RFC 8693 `audience`, CONTRACT.md):
 * the requested target when it is allowed, else the default. A `resource` must be an
 * absolute URI without a fragment (RFC 8707 §2); a target outside the allowed list is
 * `invalid_target`.
 */
import { OAuthError } from '../oauth/oauth-error';
import type { FormParameters } from '../oauth/form-body';

export function requestedTargets(parameters: FormParameters): string[] {
  const targets: string[] = [];
  if (parameters.resource !== undefined) {
    if (!isAbsoluteUriWithoutFragment(parameters.resource)) {
      throw new OAuthError('invalid_target', 'resource must be an absolute URI without a fragment', 'resource_malformed');
    }
    targets.push(parameters.resource);
  }
  if (parameters.audience !== undefined && !targets.includes(parameters.audience)) targets.push(parameters.audience);
  return targets;
}

/**
 * `allowed`: the values the token may carry (the issuer's `audiences`), or undefined when
 * any target is accepted. `fallback`: the audience when nothing is requested.
 */
export function resolveAudience(parameters: FormParameters, allowed: readonly string[] | undefined, fallback: readonly string[]): string[] {
  const targets = requestedTargets(parameters);
  if (targets.length === 0) return [...fallback];
  if (allowed !== undefined) {
    const refused = targets.filter((target) => !allowed.includes(target));
    if (refused.length > 0) throw new OAuthError('invalid_target', 'the requested resource or audience is not allowed', 'target_not_allowed');
  }
  return targets;
}

function isAbsoluteUriWithoutFragment(value: string): boolean {
  try {
    const url = new URL(value);
    return url.hash === '' && !value.includes('#');
  } catch {
    return false;
  }
}
